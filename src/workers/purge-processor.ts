import type { Job, Queue } from 'bullmq';
import { KEEP_COMPLETED, KEEP_FAILED, PURGE_EVERY_MS, PURGE_SCHEDULER_ID, parseJob } from '../shared/jobs.js';
import type { Logger } from '../shared/logger.js';
import type { RetentionPolicy, SyncStore } from '../shared/store/sync-store.js';

/**
 * Upserts the service's one retention scheduler. Every worker calls it at start; the fixed id keeps
 * it one scheduler however many workers there are (not one per tenant: the purge is store-wide).
 */
export async function ensurePurgeSchedule(queue: Queue, everyMs: number = PURGE_EVERY_MS): Promise<void> {
  await queue.upsertJobScheduler(
    PURGE_SCHEDULER_ID,
    { every: everyMs },
    { name: 'purge', data: {}, opts: { removeOnComplete: KEEP_COMPLETED, removeOnFail: KEEP_FAILED } },
  );
}

export interface PurgeProcessorDeps {
  store: SyncStore;
  retention: RetentionPolicy;
  logger: Logger;
  /** The purge step's clock (benches compress time through it). */
  now?: () => Date;
  /** Runs the hourly housekeeping besides the purge: re-notifying recent runs (`webhook-reconcile.ts`). */
  reconcile?: (now: Date) => Promise<number>;
}

/**
 * A scheduler tick: deletes what retention no longer keeps (MongoDB's TTL indexes do it too), then
 * re-enqueues the webhooks of recently finished runs (a lost notification is sent within the hour).
 */
export function createPurgeProcessor(deps: PurgeProcessorDeps) {
  const now = deps.now ?? (() => new Date());
  return async function processPurge(job: Job): Promise<void> {
    parseJob('purge', job.data);
    const at = now();
    const report = await deps.store.purgeExpired(deps.retention, at);
    if (Object.values(report).some((n) => n > 0)) deps.logger.info({ purged: report }, 'retention purge');
    if (deps.reconcile) await deps.reconcile(at);
  };
}
