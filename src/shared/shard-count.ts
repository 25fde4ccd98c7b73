import type { Queue } from 'bullmq';
import { ConfigError } from './errors.js';
import { PURGE_SCHEDULER_ID } from './jobs.js';
import { type Redis, keyPrefix } from './redis.js';
import { openSyncQueues, type ShardedQueues } from './sharded-queues.js';

/** Job states that mean "not finished": a tenant with such a job must not change shard. */
const PENDING_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children'] as const;
/** BullMQ names the next job of a job scheduler `repeat:<schedulerId>:<millis>`: it is moved, not waited for. */
const SCHEDULER_JOB = /^repeat:/;
const PAGE = 500;

/** Where the shard count in use is recorded (global key, in `{prefix}`). */
export function shardCountKey(queuePrefix: string): string {
  return `${keyPrefix(queuePrefix)}:shards`;
}

/**
 * Checked by every worker and API at start. The count recorded in Redis (none = 1, today's layout)
 * is compared with `OKTA_SYNC_QUEUE_SHARDS`: when they differ, tenants would move to other queues,
 * so a job still pending under the old count would run beside its tenant's new jobs (two rate
 * budgets, two token caches). Refused then (`ConfigError`, exit 2). With nothing pending the new
 * count is accepted: job schedulers move to their tenant's new shard and the count is recorded.
 */
export async function reconcileShardCount(redis: Redis, queuePrefix: string, count: number): Promise<{ previous: number; moved: number }> {
  const key = shardCountKey(queuePrefix);
  const recorded = await redis.get(key);
  const previous = recorded === null ? 1 : Number(recorded);
  if (previous === count) {
    if (recorded === null) await redis.set(key, String(count));
    return { previous, moved: 0 };
  }
  const old = openSyncQueues(redis, queuePrefix, previous);
  const next = openSyncQueues(redis, queuePrefix, count);
  try {
    const pending = await pendingJobs(old);
    if (pending > 0) {
      throw new ConfigError(
        'OKTA_SYNC_QUEUE_SHARDS',
        `is ${count} but ${pending} job(s) are still pending under ${previous} shard(s): drain the queues (or set it back to ${previous}), stop every worker and API, then restart`,
      );
    }
    const moved = await moveSchedulers(old, next);
    await redis.set(key, String(count));
    return { previous, moved };
  } finally {
    await Promise.all([old.close(), next.close()]);
  }
}

/**
 * For commands that only enqueue or read (the CLI): the count must be the one the workers run with,
 * or a job would land in a queue nobody consumes. Nothing recorded yet (no worker or API started) passes.
 */
export async function assertShardCount(redis: Redis, queuePrefix: string, count: number): Promise<void> {
  const recorded = await redis.get(shardCountKey(queuePrefix));
  if (recorded !== null && Number(recorded) !== count) {
    throw new ConfigError('OKTA_SYNC_QUEUE_SHARDS', `is ${count} but the workers run ${recorded} shard(s) (recorded in Redis): set OKTA_SYNC_QUEUE_SHARDS=${recorded}`);
  }
}

/** Jobs not finished in any shard of `queues`, scheduler-made delayed jobs left out. */
async function pendingJobs(queues: ShardedQueues): Promise<number> {
  let pending = 0;
  for (const queue of queues.queues) {
    for (let start = 0; ; start += PAGE) {
      const ids = (await queue.getRanges([...PENDING_STATES], start, start + PAGE - 1)) as string[];
      pending += ids.filter((id) => !SCHEDULER_JOB.test(id)).length;
      if (ids.length < PAGE) break;
    }
  }
  return pending;
}

/** Re-creates each scheduler in its shard under the new count (the purge in shard 0) and removes the old one. */
async function moveSchedulers(old: ShardedQueues, next: ShardedQueues): Promise<number> {
  let moved = 0;
  for (const from of old.queues) {
    for (const scheduler of await from.getJobSchedulers(0, -1)) {
      const tenantId = (scheduler.template?.data as { tenantId?: unknown } | undefined)?.tenantId;
      const to: Queue = scheduler.key === PURGE_SCHEDULER_ID || typeof tenantId !== 'string' ? next.queue(0) : next.forTenant(tenantId);
      if (to.opts.prefix === from.opts.prefix || !scheduler.every) continue;
      await to.upsertJobScheduler(scheduler.key, { every: scheduler.every }, { name: scheduler.name, data: scheduler.template?.data ?? {}, opts: scheduler.template?.opts ?? {} });
      await from.removeJobScheduler(scheduler.key);
      moved++;
    }
  }
  return moved;
}
