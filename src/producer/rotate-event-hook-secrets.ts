import type { Keyring } from '../shared/crypto.js';
import type { SyncStore } from '../shared/store/sync-store.js';
import { eventHookSecretContext } from './event-hooks/event-hook-secret.js';

/**
 * The Event Hook half of a key rotation, as `rotateWebhookSecrets` does for webhooks: every
 * tenant's hook secret written with an older key is re-encrypted under the keyring's first key
 * (re-read before the write; a hook re-installed meanwhile keeps its new secret). Returns how many;
 * tenants whose secret no key decrypts are appended to `failed` as `<tenantId> (event hook)`.
 */
export async function rotateEventHookSecrets(deps: { store: SyncStore; keyring: Keyring }, failed: string[]): Promise<number> {
  const primaryKid = deps.keyring.kids[0] ?? '';
  let reencrypted = 0;
  for (const tenant of await deps.store.listTenants()) {
    const hook = await deps.store.getEventHook(tenant.tenantId);
    if (!hook || deps.keyring.kidOf(hook.secret) === primaryKid) continue;
    const context = eventHookSecretContext(tenant.tenantId);
    let plaintext: string;
    try {
      plaintext = deps.keyring.decrypt(hook.secret, context);
    } catch {
      failed.push(`${tenant.tenantId} (event hook)`);
      continue;
    }
    const current = await deps.store.getEventHook(tenant.tenantId);
    if (!current || current.secret !== hook.secret) continue;
    await deps.store.putEventHook({ ...current, secret: deps.keyring.encrypt(plaintext, context) });
    reencrypted++;
  }
  return reencrypted;
}
