import { isOktaSyncError } from '../../shared/errors.js';
import { isOktaError } from '../../shared/okta/okta-errors.js';
import type { Resource } from '../../shared/resources.js';
import type { ResourceCheck } from '../verify-tenant.js';

/** Where the customer's admin finds the integration (Okta Admin Console). */
export const INTEGRATION_PATH = 'Admin Console › Applications › API Service Integrations';

/** Why the integration asks for each read scope (shown before the customer types anything). */
export const SCOPE_PURPOSE: Readonly<Record<string, string>> = {
  'okta.users.read': 'users: profiles and status, including deactivated users',
  'okta.groups.read': 'groups and who is in each group',
  'okta.apps.read': 'applications and which users are assigned to them',
  'okta.logs.read': 'System Log events: to notice changes and deletions between full syncs',
};

export function purposeOf(scope: string): string {
  return SCOPE_PURPOSE[scope] ?? SCOPE_PURPOSE[scope.replace(/\.manage$/, '.read')] ?? 'registered for this account';
}

/**
 * One message for a failed token request, for the customer: what went wrong and what to do.
 * Never quotes what Okta (or whatever answered) sent beyond a short OAuth error code.
 */
export function tokenFailureMessage(error: unknown, domain: string): string {
  if (isOktaError(error, 'okta_invalid_client')) {
    return `Okta refused the client ID and client secret. Copy both again from ${INTEGRATION_PATH} › the integration (generate a new secret there if the old one was not saved).`;
  }
  if (isOktaError(error, 'okta_network')) {
    return `Could not reach ${domain}. Check the Okta domain: your org's address without https://, for example acme.okta.com.`;
  }
  if (isOktaError(error, 'okta_redirect')) {
    return `${domain} answered with a redirect instead of a token: enter the Okta org's own domain (for example acme.okta.com), not a sign-in page.`;
  }
  if (isOktaError(error, 'okta_rate_limited') || isOktaError(error, 'okta_concurrency_limited')) {
    return 'Okta is rate limiting token requests for your org right now. Wait a minute and submit again.';
  }
  if (isOktaError(error, 'okta_server_error')) return 'Okta answered with a server error. Wait a few minutes and submit again.';
  if (isOktaError(error, 'okta_bad_response')) return `${domain} did not answer like an Okta org. Check the Okta domain.`;
  if (isOktaError(error)) {
    const code = /^[a-z_]{1,40}$/.test(error.context.oktaCode ?? '') ? ` (${error.context.oktaCode})` : '';
    const status = error.context.status === undefined ? '' : ` with HTTP ${error.context.status}`;
    return `Okta refused the token request${status}${code}. Check that the integration is installed and active in ${INTEGRATION_PATH}.`;
  }
  if (isOktaSyncError(error)) return `The check failed (${error.code}). Submit again in a moment.`;
  return 'The check failed unexpectedly. Submit again in a moment.';
}

const ADMIN_ROLE_FIX =
  'assign the integration the Read-Only Administrator role (Admin Console › Security › Administrators › Add administrator, or the Admin roles tab of the integration where your org shows one)';

/** What the admin does about a resource that is not (fully) readable, or undefined when nothing. */
export function fixFor(resource: Resource, check: ResourceCheck): string | undefined {
  if (!check.readable && check.note?.startsWith('the org did not grant')) {
    // An OIN integration's scopes are granted at Install & Authorize; there is no per-scope switch.
    return `Okta did not grant ${check.scope}. In ${INTEGRATION_PATH}, revoke the integration and add it again from the catalog (Install & Authorize grants every scope it asks for), then connect again with a new link and the new client ID and secret.`;
  }
  if (!check.readable && check.note?.includes('okta_insufficient_scope')) {
    return `Okta refused to list ${resource}: the integration needs an admin role. To fix it, ${ADMIN_ROLE_FIX}.`;
  }
  if (!check.readable) return check.note === undefined ? undefined : `Could not read ${resource}: ${check.note}.`;
  if (check.note?.includes('no admin role')) {
    return `Okta returned no ${resource}. Without an admin role Okta shows an integration empty lists: ${ADMIN_ROLE_FIX}.`;
  }
  return undefined;
}
