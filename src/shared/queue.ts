import { Queue } from 'bullmq';
import { KEEP_COMPLETED, KEEP_FAILED, PAGE_JOB_ATTEMPTS, type PageJob, SYNC_QUEUE, pageJobId, pageJobSchema } from './jobs.js';
import { shardPrefix } from './queue-shards.js';
import type { Redis } from './redis.js';
import { queueTelemetry } from './telemetry/queue-telemetry.js';

/**
 * One shard of the sync queue as both sides open it (one Redis hash tag for every key of the
 * shard). Default: the only shard of an unsharded deployment, `{prefix}`. Product code opens every
 * shard at once through `openSyncQueues` (sharded-queues.ts).
 */
export function openSyncQueue(connection: Redis, queuePrefix: string, shard = 0, count = 1): Queue {
  return new Queue(SYNC_QUEUE, { connection, prefix: shardPrefix(queuePrefix, shard, count), ...queueTelemetry() });
}

/**
 * Adds a page job under its deterministic id after validating it against the contract.
 * `priority` (BullMQ: 1 runs before 2; none runs before any) lets workers favour runs that have
 * done little work so far, so small tenants are not starved by a large one.
 */
export async function addPageJob(queue: Queue, job: PageJob, options: { priority?: number } = {}): Promise<void> {
  const data = pageJobSchema.parse(job);
  await queue.add('page', data, {
    jobId: pageJobId(data),
    ...(options.priority ? { priority: options.priority } : {}),
    attempts: PAGE_JOB_ATTEMPTS,
    backoff: { type: 'jitter' },
    removeOnComplete: KEEP_COMPLETED,
    removeOnFail: KEEP_FAILED,
  });
}
