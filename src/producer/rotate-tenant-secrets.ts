import type { Keyring } from '../shared/crypto.js';
import type { TenantId } from '../shared/ids.js';
import type { EventHookRecord, SyncStore, WebhookRecord } from '../shared/store/sync-store.js';
import { webhookSecretContext } from '../shared/webhooks/webhook-secret.js';
import { eventHookSecretContext } from './event-hooks/event-hook-secret.js';

/** One kind of per-tenant record holding an encrypted secret (a webhook, an Event Hook). */
interface SecretRecordKind<R extends { secret: string }> {
  /** How a failure names the record: `<tenantId> (<label>)`. */
  label: string;
  get(store: SyncStore, tenantId: TenantId): Promise<R | undefined>;
  put(store: SyncStore, record: R): Promise<unknown>;
  context(tenantId: TenantId): string;
}

export const WEBHOOK_SECRETS: SecretRecordKind<WebhookRecord> = {
  label: 'webhook',
  get: (store, tenantId) => store.getWebhook(tenantId),
  put: (store, record) => store.putWebhook(record),
  context: webhookSecretContext,
};

export const EVENT_HOOK_SECRETS: SecretRecordKind<EventHookRecord> = {
  label: 'event hook',
  get: (store, tenantId) => store.getEventHook(tenantId),
  put: (store, record) => store.putEventHook(record),
  context: eventHookSecretContext,
};

/**
 * One half of a key rotation for a kind of secret record: every tenant's secret written with an
 * older key is re-encrypted under the keyring's first key (re-read before the write; a record
 * replaced meanwhile keeps its new secret). Returns how many were re-encrypted; tenants whose
 * secret no key decrypts are appended to `failed` as `<tenantId> (<label>)`.
 */
export async function rotateTenantSecrets<R extends { secret: string }>(
  deps: { store: SyncStore; keyring: Keyring },
  kind: SecretRecordKind<R>,
  failed: string[],
): Promise<number> {
  const primaryKid = deps.keyring.kids[0] ?? '';
  let reencrypted = 0;
  for (const tenant of await deps.store.listTenants()) {
    const record = await kind.get(deps.store, tenant.tenantId);
    if (!record || deps.keyring.kidOf(record.secret) === primaryKid) continue;
    const context = kind.context(tenant.tenantId);
    let plaintext: string;
    try {
      plaintext = deps.keyring.decrypt(record.secret, context);
    } catch {
      failed.push(`${tenant.tenantId} (${kind.label})`);
      continue;
    }
    const current = await kind.get(deps.store, tenant.tenantId);
    if (!current || current.secret !== record.secret) continue;
    await kind.put(deps.store, { ...current, secret: deps.keyring.encrypt(plaintext, context) });
    reencrypted++;
  }
  return reencrypted;
}
