import type { Queue } from 'bullmq';
import { ValidationError } from '../shared/errors.js';
import type { TenantId } from '../shared/ids.js';
import { WATCH_DEFAULT_INTERVAL_SECONDS, WATCH_MAX_INTERVAL_SECONDS, WATCH_MIN_INTERVAL_SECONDS, watchJobSchema, watchSchedulerId } from '../shared/jobs.js';
import type { Redis } from '../shared/redis.js';
import type { TenantQueues } from '../shared/sharded-queues.js';
import { readWatchStatus, type WatchStatus } from '../shared/watch-status.js';
import { readScheduler, upsertScheduler } from './job-scheduler.js';

/** A tenant's System Log watch as callers see it (`tenant show`, GET /v1/tenants/{id}, PUT …/watch). */
export interface WatchView extends WatchStatus {
  enabled: boolean;
  /** Seconds between polls; null when off. */
  intervalSeconds: number | null;
  /** When the next poll fires (ISO), if BullMQ knows. */
  nextPollAt: string | null;
}

/** `PUT /v1/tenants/{id}/watch` and `tenant watch`: turn on (with an interval) or off. */
export interface WatchChange {
  enabled: boolean;
  /** Default WATCH_DEFAULT_INTERVAL_SECONDS (15); at least 5, at most 3600. */
  intervalSeconds?: number | undefined;
}

/** The poll interval of a change, or a `ValidationError` on `intervalSeconds`. */
export function watchInterval(change: WatchChange): number {
  const seconds = change.intervalSeconds ?? WATCH_DEFAULT_INTERVAL_SECONDS;
  if (!Number.isInteger(seconds) || seconds < WATCH_MIN_INTERVAL_SECONDS || seconds > WATCH_MAX_INTERVAL_SECONDS) {
    const why = `must be a whole number of seconds from ${WATCH_MIN_INTERVAL_SECONDS} to ${WATCH_MAX_INTERVAL_SECONDS}`;
    throw new ValidationError(`intervalSeconds ${why}`, { intervalSeconds: why });
  }
  return seconds;
}

/** The watch's scheduler lives in the tenant's queue shard; its status hash under the prefix. */
export interface WatchDeps {
  queues: TenantQueues;
  redis: Redis;
  queuePrefix: string;
}

/**
 * Turns a tenant's watch on (one BullMQ job scheduler per tenant, replaced on update, firing a
 * `watch` poll every interval) or off (scheduler removed; the cursor stays, for the logs resource).
 */
export async function applyWatch(deps: WatchDeps, tenantId: TenantId, change: WatchChange): Promise<WatchView> {
  const id = watchSchedulerId(tenantId);
  const queue = deps.queues.forTenant(tenantId);
  if (!change.enabled) await queue.removeJobScheduler(id);
  // 17 280 ticks a day at 5 s: kept like page jobs they would push page records out of the kept set.
  else await upsertScheduler(queue, id, watchInterval(change) * 1_000, 'watch', watchJobSchema.parse({ tenantId }), { forgetCompleted: true });
  return readWatch(deps, tenantId);
}

export async function readWatch(deps: WatchDeps, tenantId: TenantId): Promise<WatchView> {
  const scheduler = await readScheduler(deps.queues.forTenant(tenantId), watchSchedulerId(tenantId));
  const status = await readWatchStatus(deps.redis, deps.queuePrefix, tenantId);
  return {
    enabled: scheduler !== undefined,
    intervalSeconds: scheduler ? Math.round(scheduler.everyMs / 1_000) : null,
    nextPollAt: scheduler?.next ?? null,
    ...status,
  };
}

/** Tenant removal: no more polls. */
export async function removeWatch(queue: Queue, tenantId: TenantId): Promise<void> {
  await queue.removeJobScheduler(watchSchedulerId(tenantId));
}
