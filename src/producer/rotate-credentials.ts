import type { Keyring } from '../shared/crypto.js';
import { credentialContext } from '../shared/okta/okta-credentials.js';
import type { SyncStore } from '../shared/store/sync-store.js';
import { EVENT_HOOK_SECRETS, rotateTenantSecrets, WEBHOOK_SECRETS } from './rotate-tenant-secrets.js';

export interface RotationReport {
  /** The key every credential is now encrypted with (the keyring's first). */
  primaryKid: string;
  tenants: number;
  /** Credentials re-encrypted by this call (0 on a second run: rotation is idempotent). */
  reencrypted: number;
  /** Tenants whose credential no key of the keyring can decrypt (left untouched). */
  failed: string[];
  /** Webhook signing secrets re-encrypted by this call (issue 16). */
  webhookSecrets: number;
  /** Okta Event Hook secrets re-encrypted by this call. */
  eventHookSecrets: number;
}

/**
 * Re-encrypts every tenant credential written with an older key under the keyring's first key,
 * so the older key can then leave OKTA_SYNC_ENCRYPTION_KEYS. A credential already under the first
 * key is left alone. Each tenant is re-read right before its write, and skipped if its credential
 * changed meanwhile (an onboarding that raced the rotation wins).
 */
export async function rotateCredentials(deps: { store: SyncStore; keyring: Keyring }): Promise<RotationReport> {
  const primaryKid = deps.keyring.kids[0] ?? '';
  const tenants = await deps.store.listTenants();
  let reencrypted = 0;
  const failed: string[] = [];
  for (const listed of tenants) {
    if (deps.keyring.kidOf(listed.auth.credential) === primaryKid) continue;
    const context = credentialContext(listed.tenantId);
    let plaintext: string;
    try {
      plaintext = deps.keyring.decrypt(listed.auth.credential, context);
    } catch {
      failed.push(listed.tenantId);
      continue;
    }
    const credential = deps.keyring.encrypt(plaintext, context);
    const current = await deps.store.getTenant(listed.tenantId);
    if (!current || current.auth.credential !== listed.auth.credential) continue;
    await deps.store.putTenant({ ...current, auth: { ...current.auth, credential } });
    reencrypted++;
  }
  const webhookSecrets = await rotateTenantSecrets(deps, WEBHOOK_SECRETS, failed);
  const eventHookSecrets = await rotateTenantSecrets(deps, EVENT_HOOK_SECRETS, failed);
  return { primaryKid, tenants: tenants.length, reencrypted, failed, webhookSecrets, eventHookSecrets };
}
