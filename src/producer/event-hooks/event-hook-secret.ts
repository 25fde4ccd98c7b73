import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { TenantId } from '../../shared/ids.js';

/**
 * The header Okta sends the per-tenant secret in (the hook's `authScheme`). `Authorization`, so
 * that proxies which redact it in their logs redact this too.
 */
export const HOOK_AUTH_HEADER = 'authorization';

/** AAD for a tenant's event hook secret: the ciphertext cannot be moved to another tenant or purpose. */
export function eventHookSecretContext(tenantId: TenantId): string {
  return `okta-sync:event-hook-secret:${tenantId}`;
}

/** A fresh secret: 256 random bits, prefixed so a leaked value says what it is. */
export function newHookSecret(): string {
  return `okhs_${randomBytes(32).toString('base64url')}`;
}

/** Constant-time comparison of what a delivery presented with the secret (digests, so lengths never leak). */
export function secretMatches(presented: string | undefined, secret: string): boolean {
  if (presented === undefined) return false;
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(secret).digest();
  return timingSafeEqual(a, b);
}
