import { OktaError } from './okta-errors.js';

/** `okta.x.manage` implies `okta.x.read` (OKTA-FACTS "Scopes"). */
export function scopeGranted(granted: readonly string[], scope: string): boolean {
  return granted.includes(scope) || (scope.endsWith('.read') && granted.includes(`${scope.slice(0, -'.read'.length)}.manage`));
}

/** The requested scopes the tenant's integration was not granted, in request order. */
export function missingScopes(granted: readonly string[], requested: readonly string[]): string[] {
  return requested.filter((s) => !scopeGranted(granted, s));
}

/**
 * Least privilege, checked before any request: asking Okta for a scope the integration lacks
 * only spends the customer's token budget on an `invalid_scope`. Throws `okta_invalid_scope`
 * naming the missing scopes; an empty request is refused the same way (Okta requires a scope).
 */
export function assertScopesGranted(granted: readonly string[], requested: readonly string[]): void {
  if (requested.length === 0) {
    throw new OktaError('okta_invalid_scope', 'a token request needs at least one scope', { scopes: [] });
  }
  const missing = missingScopes(granted, requested);
  if (missing.length > 0) {
    throw new OktaError('okta_invalid_scope', `the tenant's granted scopes do not include ${missing.join(', ')} (no token requested)`, {
      scopes: missing,
    });
  }
}
