import type { Keyring } from '../shared/crypto.js';
import type { SyncStore } from '../shared/store/sync-store.js';
import { webhookSecretContext } from '../shared/webhooks/webhook-secret.js';

/**
 * The webhook half of a key rotation: every tenant's webhook secret written with an older key is
 * re-encrypted under the keyring's first key (re-read before the write; a webhook replaced
 * meanwhile is left to its new value). Returns how many were re-encrypted; tenants whose secret
 * no key decrypts are appended to `failed` as `<tenantId> (webhook)`.
 */
export async function rotateWebhookSecrets(deps: { store: SyncStore; keyring: Keyring }, failed: string[]): Promise<number> {
  const primaryKid = deps.keyring.kids[0] ?? '';
  let reencrypted = 0;
  for (const tenant of await deps.store.listTenants()) {
    const webhook = await deps.store.getWebhook(tenant.tenantId);
    if (!webhook || deps.keyring.kidOf(webhook.secret) === primaryKid) continue;
    const context = webhookSecretContext(tenant.tenantId);
    let plaintext: string;
    try {
      plaintext = deps.keyring.decrypt(webhook.secret, context);
    } catch {
      failed.push(`${tenant.tenantId} (webhook)`);
      continue;
    }
    const current = await deps.store.getWebhook(tenant.tenantId);
    if (!current || current.secret !== webhook.secret) continue;
    await deps.store.putWebhook({ ...current, secret: deps.keyring.encrypt(plaintext, context) });
    reencrypted++;
  }
  return reencrypted;
}
