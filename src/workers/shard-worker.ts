import { type Job, Worker } from 'bullmq';
import { clipText } from '../shared/clip-text.js';
import { asRunId } from '../shared/ids.js';
import { SYNC_QUEUE } from '../shared/jobs.js';
import type { Logger } from '../shared/logger.js';
import type { Redis } from '../shared/redis.js';
import type { SyncStore } from '../shared/store/sync-store.js';
import { queueTelemetry } from '../shared/telemetry/queue-telemetry.js';
import { backoffMs } from './job-outcome.js';
import { jobOwnsRun } from './job-ownership.js';
import { failRun } from './run-finisher.js';

/** Lock settings: a killed worker's job is picked up again within ~15 s. */
const LOCK_DURATION_MS = 15_000;
const STALLED_INTERVAL_MS = 5_000;
/** A page job that stalls (its worker died) is safe to rerun: pages are idempotent. */
const MAX_STALLED = 10;

/** One BullMQ worker on one queue shard (`prefix`: the shard's hash-tagged prefix). */
export interface ShardWorkerOptions {
  redis: Redis;
  prefix: string;
  concurrency: number;
  dispatch: (job: Job, token?: string) => Promise<unknown>;
  store: SyncStore;
  logger: Logger;
}

/**
 * Consumes one queue shard. A job that failed outside the processor's control (stalled too often)
 * still ends its run.
 */
export function startShardWorker(o: ShardWorkerOptions): Worker {
  const worker = new Worker(SYNC_QUEUE, o.dispatch, {
    connection: o.redis,
    prefix: o.prefix,
    concurrency: o.concurrency,
    lockDuration: LOCK_DURATION_MS,
    stalledInterval: STALLED_INTERVAL_MS,
    maxStalledCount: MAX_STALLED,
    settings: { backoffStrategy: (attemptsMade: number) => backoffMs(attemptsMade) },
    ...queueTelemetry(),
  });
  worker.on('failed', (job) => {
    const { runId, tenantId, resource } = (job?.data ?? {}) as { runId?: unknown; tenantId?: unknown; resource?: unknown };
    if (typeof runId !== 'string' || typeof tenantId !== 'string' || typeof resource !== 'string') return;
    // 'failed' also fires for attempts that will be retried: only a job that stays failed ends the run.
    void (async () => {
      if (!job || (await job.getState()) !== 'failed') return;
      const run = await o.store.getRun(asRunId(runId));
      // A refused job (another tenant's run) must not end that run either.
      if (run && jobOwnsRun({ tenantId, resource }, run)) {
        await failRun(o.store, run, { code: 'job_failed', message: clipText(job.failedReason ?? 'job failed') });
      }
    })().catch((err: Error) => o.logger.warn({ err: { message: err.message } }, 'could not record a failed job'));
  });
  worker.on('error', (err) => o.logger.error({ err: { message: clipText(err.message) } }, 'worker error'));
  return worker;
}

/**
 * Slots per shard worker when one process consumes `shards` shards: `concurrency` split evenly,
 * rounded up (BullMQ has no concurrency shared between workers), so the process never runs far
 * more than `WORKER_CONCURRENCY` jobs at once.
 */
export function slotsPerShard(concurrency: number, shards: number): number {
  return Math.max(1, Math.ceil(concurrency / Math.max(1, shards)));
}
