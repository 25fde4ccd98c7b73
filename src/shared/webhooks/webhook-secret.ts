import type { TenantId } from '../ids.js';

/** AAD for a tenant's webhook signing secret: the ciphertext cannot be moved to another tenant or purpose. */
export function webhookSecretContext(tenantId: TenantId): string {
  return `okta-sync:webhook-secret:${tenantId}`;
}
