import type { Keyring } from '../../shared/crypto.js';
import { NotFoundError, OktaSyncError } from '../../shared/errors.js';
import type { TenantId } from '../../shared/ids.js';
import { EVENT_HOOK_PATHS, HOOK_EVENT_TYPES } from '../../shared/okta/event-hook-types.js';
import { credentialsOf } from '../../shared/okta/okta-credentials.js';
import type { DomainPolicy } from '../../shared/okta/okta-domain.js';
import type { OktaHttp } from '../../shared/okta/okta-http.js';
import type { EventHookRecord, SyncStore } from '../../shared/store/sync-store.js';
import { eventHookSecretContext, HOOK_AUTH_HEADER, newHookSecret } from './event-hook-secret.js';
import { eventHooksApi, removeHook } from './event-hooks-api.js';
import { hookUri } from './hook-uri.js';

export interface InstallEventHookDeps {
  store: SyncStore;
  keyring: Keyring;
  domainPolicy: DomainPolicy;
  http: OktaHttp;
}

/** What `okta-sync tenant hooks install` prints. Never holds the secret. */
export interface InstallReport {
  tenantId: string;
  oktaHookId: string;
  uri: string;
  status: 'installed';
  events: string[];
  /** Hooks of an earlier install removed from the org. */
  replaced: string[];
}

interface OktaHook {
  id: string;
  status?: string;
  verificationStatus?: string;
  channel?: { config?: { uri?: string } };
}

/**
 * Registers the tenant's Event Hook (DESIGN.md flow step 8): a fresh per-tenant secret, stored
 * encrypted before Okta first calls us; the hook created for the eligible event types with the
 * secret as its auth header and `<public-url>/v1/hooks/okta/<tenantId>` as its channel; then Okta's
 * verification (its GET reaches our receiver, which echoes the challenge). A re-install removes the
 * hooks of earlier installs (the stored id, and any hook in the org calling the same URI), so the
 * org never calls us with an old secret. Scope refusals surface before anything is stored.
 */
export async function installEventHook(deps: InstallEventHookDeps, tenantId: TenantId, publicUrl: string): Promise<InstallReport> {
  const tenant = await deps.store.getTenant(tenantId);
  if (!tenant) throw new NotFoundError(`tenant ${tenantId}`);
  const uri = hookUri(publicUrl, tenantId, deps.domainPolicy.allowInsecureLoopback);
  // Installing is the explicit ask for okta.eventHooks.manage, registered with the tenant or not: the org decides.
  const api = eventHooksApi(deps.http, credentialsOf(tenant, deps.keyring, deps.domainPolicy));

  const existing = (await api('GET', EVENT_HOOK_PATHS.list())) as OktaHook[] | null;
  const previous = await deps.store.getEventHook(tenantId);
  const stale = (Array.isArray(existing) ? existing : []).filter((h) => h.id === previous?.oktaHookId || h.channel?.config?.uri === uri).map((h) => h.id);
  for (const id of stale) await removeHook(api, id);

  const secret = newHookSecret();
  const at = new Date().toISOString();
  const record: EventHookRecord = {
    tenantId,
    oktaHookId: null,
    uri,
    secret: deps.keyring.encrypt(secret, eventHookSecretContext(tenantId)),
    events: [...HOOK_EVENT_TYPES],
    status: 'installing',
    createdAt: at,
    updatedAt: at,
  };
  await deps.store.putEventHook(record);
  const created = (await api('POST', EVENT_HOOK_PATHS.list(), {
    name: `okta-sync ${tenantId}`,
    description: 'okta-sync: near-real-time refreshes of the synced data',
    events: { type: 'EVENT_TYPE', items: record.events },
    channel: { type: 'HTTP', version: '1.0.0', config: { uri, authScheme: { type: 'HEADER', key: HOOK_AUTH_HEADER, value: secret } } },
  })) as OktaHook;
  if (typeof created?.id !== 'string') throw new OktaSyncError('event_hook_install_failed', 'Okta answered the event hook creation without an id');
  await deps.store.putEventHook({ ...record, oktaHookId: created.id, updatedAt: new Date().toISOString() });
  const verified = (await api('POST', EVENT_HOOK_PATHS.lifecycle(created.id, 'verify'))) as OktaHook;
  if (verified?.verificationStatus !== 'VERIFIED') {
    throw new OktaSyncError('event_hook_unverified', `Okta did not verify the event hook (status ${String(verified?.verificationStatus)}): is ${uri} reachable from Okta?`);
  }
  await deps.store.putEventHook({ ...record, oktaHookId: created.id, status: 'installed', updatedAt: new Date().toISOString() });
  return { tenantId, oktaHookId: created.id, uri, status: 'installed', events: record.events, replaced: stale };
}
