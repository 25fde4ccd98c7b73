import { type Job, UnrecoverableError } from 'bullmq';
import type { Keyring } from '../../shared/crypto.js';
import { asTenantId, type TenantId } from '../../shared/ids.js';
import { type RefreshJob, parseJob } from '../../shared/jobs.js';
import type { Logger } from '../../shared/logger.js';
import { type CallStats, type OktaObjectReader, emptyStats } from '../../shared/okta/okta-client.js';
import { type OktaCredentials, credentialsOf } from '../../shared/okta/okta-credentials.js';
import type { DomainPolicy } from '../../shared/okta/okta-domain.js';
import { isOktaError } from '../../shared/okta/okta-errors.js';
import type { Redis } from '../../shared/redis.js';
import { RESOURCE_SCOPE, type Resource } from '../../shared/resources.js';
import { ACTIVE_RUN_STATUSES, type ObjectType, type ObjectWrite, type SyncStore } from '../../shared/store/sync-store.js';
import { clipText } from '../../shared/clip-text.js';
import { recordRefreshLag, watchStatusKey } from '../../shared/watch-status.js';
import { idAndLastUpdated } from '../resources/resource-sync.js';
import { settleFailure } from './settle-failure.js';
import { watchRunId } from './watch-run.js';

/** What a refresh job needs from the worker. */
export interface RefreshProcessorDeps {
  store: SyncStore;
  okta: OktaObjectReader;
  redis: Redis;
  queuePrefix: string;
  keyring: Keyring;
  domainPolicy: DomainPolicy;
  /** OKTA_SYNC_RATE_SHARE, unless the tenant overrides it. */
  rateShare: number;
  metrics: { refreshDone(kind: string, result: string): void; watchLag(kind: string, seconds: number): void };
  logger: Logger;
}

/** A refresh's outcome in the store. */
type Written = 'written' | 'deleted' | 'skipped';

/**
 * One targeted refresh: parse → tenant → (budget + token + one GET, for re-reads) → write through
 * the same store calls as page jobs (`commitPage`, `sweep`), so the change feed records it. Every
 * write is idempotent: a retried refresh writes the same object, or marks an object already marked.
 * Writes are filed under the tenant's stand-in run `watch.<tenantId>` (no run record), or under
 * an active full run that would sweep them (see `commit`).
 */
export function createRefreshProcessor(deps: RefreshProcessorDeps) {
  return async function processRefresh(job: Job, token?: string): Promise<void> {
    const data = parseJob('refresh', job.data);
    const tenant = await deps.store.getTenant(asTenantId(data.tenantId));
    if (!tenant || tenant.status !== 'active') {
      deps.metrics.refreshDone(data.kind, 'skipped');
      return;
    }
    const stats = emptyStats();
    try {
      const creds = credentialsOf(tenant, deps.keyring, deps.domainPolicy);
      const result = await refresh(deps, data, creds, tenant.rateShare ?? deps.rateShare, stats);
      deps.metrics.refreshDone(data.kind, result);
      if (result !== 'skipped') await observeLag(deps, data);
    } catch (error) {
      if (error instanceof UnrecoverableError) {
        deps.metrics.refreshDone(data.kind, 'failed');
        throw error;
      }
      await settleFailure({
        job,
        token,
        error,
        store: deps.store,
        tenantId: tenant.tenantId,
        report: (result) => {
          deps.metrics.refreshDone(data.kind, result);
          if (result === 'failed') deps.logger.warn({ tenantId: data.tenantId, kind: data.kind, err: { message: clipText(error instanceof Error ? error.message : String(error)) } }, 'refresh failed');
        },
      });
    }
  };
}

async function observeLag(deps: RefreshProcessorDeps, data: RefreshJob): Promise<void> {
  const now = Date.now();
  const published = Date.parse(data.published);
  if (!Number.isFinite(published)) return;
  const seconds = Math.max(0, (now - published) / 1_000);
  deps.metrics.watchLag(data.kind, seconds);
  await recordRefreshLag(deps.redis, deps.queuePrefix, data.tenantId, seconds, new Date(now).toISOString());
}

async function refresh(deps: RefreshProcessorDeps, data: RefreshJob, creds: OktaCredentials, share: number, stats: CallStats): Promise<Written> {
  const tenantId = asTenantId(data.tenantId);
  const write = (type: ObjectType, objects: ObjectWrite[]) => commit(deps.store, tenantId, type, objects);
  const gone = (type: ObjectType, filter: { oktaId: string } | { oktaIdPrefix: string } | { oktaIdSuffix: string }) => markDeleted(deps.store, tenantId, type, filter);
  const read = async (path: string, scope: string): Promise<unknown | undefined> => {
    try {
      return await deps.okta.getObject(creds, `${creds.origin}${path}`, [scope], stats, share);
    } catch (error) {
      if (isOktaError(error, 'okta_not_found')) return undefined;
      throw error;
    }
  };
  const { kind, id } = data;
  const [parent = '', child = ''] = id.split(':');
  switch (kind) {
    case 'user': {
      const user = await read(`/api/v1/users/${encodeURIComponent(id)}`, RESOURCE_SCOPE.users);
      if (user !== undefined) return write('user', asObjects(user, id));
      return deleteUser(gone, id);
    }
    case 'user_deleted':
      return deleteUser(gone, id);
    case 'group': {
      const group = await read(`/api/v1/groups/${encodeURIComponent(id)}`, RESOURCE_SCOPE.groups);
      if (group !== undefined) return write('group', asObjects(group, id));
      await gone('group', { oktaId: id });
      await gone('membership', { oktaIdPrefix: `${id}:` });
      return 'deleted';
    }
    case 'app': {
      const app = await read(`/api/v1/apps/${encodeURIComponent(id)}`, RESOURCE_SCOPE.apps);
      if (app !== undefined) return write('app', asObjects(app, id));
      await gone('app', { oktaId: id });
      await gone('app_user', { oktaIdPrefix: `${id}:` });
      return 'deleted';
    }
    case 'app_user': {
      const assignment = await read(`/api/v1/apps/${encodeURIComponent(parent)}/users/${encodeURIComponent(child)}`, RESOURCE_SCOPE.apps);
      const key = assignment === undefined ? undefined : idAndLastUpdated(assignment);
      if (!key) {
        await gone('app_user', { oktaId: id });
        return 'deleted';
      }
      return write('app_user', [{ oktaId: id, data: { ...(assignment as object), appId: parent }, oktaLastUpdated: key.lastUpdated }]);
    }
    case 'membership_add':
    case 'membership_remove': {
      // The System Log is ordered, hook deliveries are not: a change older than one applied is stale.
      if (!(await newestChange(deps, tenantId, id, data.lastPublishedMs))) return 'skipped';
      if (kind === 'membership_remove') {
        await gone('membership', { oktaId: id });
        return 'deleted';
      }
      return write('membership', [{ oktaId: id, data: { groupId: parent, userId: child }, oktaLastUpdated: null }]);
    }
  }
}

async function deleteUser(gone: (type: ObjectType, filter: { oktaId: string } | { oktaIdSuffix: string }) => Promise<void>, userId: string): Promise<Written> {
  await gone('user', { oktaId: userId });
  await gone('membership', { oktaIdSuffix: `:${userId}` });
  await gone('app_user', { oktaIdSuffix: `:${userId}` });
  return 'deleted';
}

/** The object Okta answered, keyed by the id asked for (an answer without an id is not trusted). */
function asObjects(item: unknown, id: string): ObjectWrite[] {
  const key = idAndLastUpdated(item);
  if (!key || key.id !== id) throw new UnrecoverableError(`Okta answered a read of ${id} with another object`);
  return [{ oktaId: id, data: item, oktaLastUpdated: key.lastUpdated }];
}

/** The resource whose full run sweeps objects of each type a refresh writes. */
const SWEPT_BY: Readonly<Partial<Record<ObjectType, Resource>>> = { user: 'users', group: 'groups', membership: 'memberships', app: 'apps', app_user: 'apps' };

/**
 * Written under the tenant's stand-in run, or, while a full run that sweeps this type is active,
 * under that run: its final sweep marks what it did not write, and an object the watch wrote
 * after the run listed past it (a user created or changed mid-run) is as alive as any it saw.
 * One page record per run (`watch.refresh`), so such a run counts at most one extra page.
 */
async function commit(store: SyncStore, tenantId: TenantId, type: ObjectType, objects: ObjectWrite[]): Promise<Written> {
  const resource = SWEPT_BY[type];
  const runs = resource === undefined ? [] : await store.listRuns({ tenantId, limit: 20 });
  const sweeping = runs.find((r) => r.resource === resource && r.mode === 'full' && ACTIVE_RUN_STATUSES.includes(r.status));
  const runId = sweeping?.runId ?? watchRunId(tenantId);
  // The objects are upserted whatever the page record says.
  await store.commitPage({ tenantId, runId, type, pageKey: 'watch.refresh', objects, at: new Date().toISOString() });
  return 'written';
}

async function markDeleted(store: SyncStore, tenantId: TenantId, type: ObjectType, filter: { oktaId: string } | { oktaIdPrefix: string } | { oktaIdSuffix: string }): Promise<void> {
  // A stand-in run id that never writes, so whatever the filter selects is marked (once: live objects only).
  const runId = watchRunId(tenantId);
  await store.sweep({ tenantId, type, runId: `${runId}.gone` as typeof runId, at: new Date().toISOString(), countFor: runId, ...filter });
}

// KEYS[1]: hash oktaId → published ms of the last change applied. ARGV: oktaId, ms, ttl s. 1 = apply.
const NEWEST_SCRIPT = `
local seen = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '-1')
if tonumber(ARGV[2]) < seen then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return 1`;

/** Ordering guard of one membership's changes: kept a week (hook retries and log overlap are far shorter). */
async function newestChange(deps: RefreshProcessorDeps, tenantId: string, oktaId: string, publishedMs: number): Promise<boolean> {
  const key = `${watchStatusKey(deps.queuePrefix, tenantId)}:order`;
  return (await deps.redis.eval(NEWEST_SCRIPT, 1, key, oktaId, String(publishedMs), String(7 * 86_400))) === 1;
}
