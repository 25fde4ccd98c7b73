import { NotFoundError } from '../shared/errors.js';
import type { TenantId } from '../shared/ids.js';
import type { Logger } from '../shared/logger.js';
import { primaries, type Redis } from '../shared/redis.js';
import type { ShardedQueues } from '../shared/sharded-queues.js';
import { ACTIVE_RUN_STATUSES, type SyncStore } from '../shared/store/sync-store.js';
import { watchStatusKey } from '../shared/watch-status.js';
import { holdsData, readBinding } from './org-binding.js';
import { removeSchedules } from './schedules.js';
import { removeWatch } from './watch.js';

/** What removing a tenant cleaned up, for the log line and the CLI. */
export interface RemovalReport {
  schedulesRemoved: boolean;
  jobsRemoved: number;
  runsCancelled: number;
  redisKeysRemoved: number;
  dataPurged: boolean;
  /** The tenant's Event Hook was deleted from its org. */
  hookRemoved: boolean;
}

/** Job states whose jobs have not started; an active job finds its tenant gone and fails. */
const PENDING_STATES = ['waiting', 'delayed', 'prioritized', 'waiting-children'] as const;
const PAGE = 1_000;

/**
 * Removes a tenant: its schedules first (no new runs), its pending jobs, its active runs
 * (cancelled, unless the data is purged with them), the store record, then its cached tokens and
 * idempotency records. Every step is safe to repeat, so a removal that failed half way can be retried
 * while the store record is still there.
 */
export async function removeTenant(
  deps: {
    store: SyncStore;
    queues: ShardedQueues;
    redis: Redis;
    logger?: Logger;
    /** Deletes the tenant's Event Hook from its org (best effort: a failure is logged, removal goes on). */
    uninstallHook?: (tenantId: TenantId) => Promise<unknown>;
  },
  tenantId: TenantId,
  options: { purgeData: boolean },
): Promise<RemovalReport> {
  if (!(await deps.store.getTenant(tenantId))) {
    // A tenant removed without purgeData left its data (and org binding): purging it later is allowed.
    if (!options.purgeData || !(await leftovers(deps.store, tenantId))) throw new NotFoundError(`tenant ${tenantId}`);
    await deps.store.deleteTenant(tenantId, { purgeData: true });
    const report = { schedulesRemoved: false, jobsRemoved: 0, runsCancelled: 0, redisKeysRemoved: 0, dataPurged: true, hookRemoved: false };
    deps.logger?.info({ tenantId, ...report }, 'data of a removed tenant purged');
    return report;
  }
  // Its schedulers, jobs and keys all live in its queue shard.
  const queue = deps.queues.forTenant(tenantId);
  await removeSchedules(queue, tenantId);
  await removeWatch(queue, tenantId);
  const jobsRemoved = await removePendingJobs(queue, tenantId);
  let runsCancelled = 0;
  if (!options.purgeData) {
    const at = new Date().toISOString();
    for (const run of await deps.store.listRuns({ tenantId, limit: 1_000 })) {
      if (!ACTIVE_RUN_STATUSES.includes(run.status)) continue;
      const cancelled = await deps.store.finishRun(run.runId, {
        status: 'cancelled',
        at,
        error: { code: 'tenant_removed', message: 'the tenant was removed' },
      });
      if (cancelled) runsCancelled++;
    }
  }
  const hookRemoved = await removeOrgHook(deps, tenantId);
  await deps.store.deleteTenant(tenantId, options);
  const prefix = deps.queues.prefixFor(tenantId);
  const redisKeysRemoved =
    (await deleteByPattern(deps.redis, `${prefix}:token:${tenantId}:*`)) + (await deleteByPattern(deps.redis, `${prefix}:idem:${tenantId}:*`)) +
    (await deps.redis.unlink(watchStatusKey(deps.queues.queuePrefix, tenantId))) +
    (await deleteByPattern(deps.redis, `${watchStatusKey(deps.queues.queuePrefix, tenantId)}:*`)) +
    (await deleteByPattern(deps.redis, `${prefix}:hook-seen:${tenantId}:*`));
  const report = { schedulesRemoved: true, jobsRemoved, runsCancelled, redisKeysRemoved, dataPurged: options.purgeData, hookRemoved };
  deps.logger?.info({ tenantId, ...report }, 'tenant removed');
  return report;
}

/** The org's hook would keep calling us (and count against the org's 25): removed first, best effort. */
async function removeOrgHook(deps: Parameters<typeof removeTenant>[0], tenantId: TenantId): Promise<boolean> {
  if (!deps.uninstallHook || !(await deps.store.getEventHook(tenantId))) return false;
  try {
    await deps.uninstallHook(tenantId);
    return true;
  } catch (error) {
    deps.logger?.warn({ tenantId, err: { message: (error as Error).message } }, 'could not delete the tenant\'s event hook from its org; it is refused from now on');
    return false;
  }
}

async function leftovers(store: SyncStore, tenantId: TenantId): Promise<boolean> {
  return (await readBinding(store, tenantId)) !== undefined || (await holdsData(store, tenantId));
}

async function removePendingJobs(queue: ReturnType<ShardedQueues['forTenant']>, tenantId: TenantId): Promise<number> {
  // Collect first, then remove: removing while paging would shift the pages.
  const ids: string[] = [];
  for (const state of PENDING_STATES) {
    for (let start = 0; ; start += PAGE) {
      const jobs = await queue.getJobs([state], start, start + PAGE - 1, true);
      for (const job of jobs) {
        if (job?.id && (job.data as { tenantId?: unknown } | undefined)?.tenantId === tenantId) ids.push(job.id);
      }
      if (jobs.length < PAGE) break;
    }
  }
  let removed = 0;
  for (const id of ids) {
    // A job that started meanwhile is locked and stays; it fails on the missing tenant.
    removed += (await queue.remove(id)) === 1 ? 1 : 0;
  }
  return removed;
}

/** SCAN + UNLINK of one tenant's keys on every primary (all of a cluster's masters): never KEYS, which blocks Redis. */
export async function deleteByPattern(redis: Redis, pattern: string): Promise<number> {
  let deleted = 0;
  for (const node of primaries(redis)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      // One key per UNLINK: keys of different slots in one command are refused by a cluster node.
      for (const key of keys) deleted += await node.unlink(key);
    } while (cursor !== '0');
  }
  return deleted;
}
