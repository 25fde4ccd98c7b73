import { Queue } from 'bullmq';
import { KEEP_COMPLETED, KEEP_FAILED, PAGE_JOB_ATTEMPTS, type PageJob, SYNC_QUEUE, pageJobId, pageJobSchema } from './jobs.js';
import { type Redis, keyPrefix } from './redis.js';

/** The sync queue as both sides open it (one Redis hash tag for every key). */
export function openSyncQueue(connection: Redis, queuePrefix: string): Queue {
  return new Queue(SYNC_QUEUE, { connection, prefix: keyPrefix(queuePrefix) });
}

/** Adds a page job under its deterministic id after validating it against the contract. */
export async function addPageJob(queue: Queue, job: PageJob): Promise<void> {
  const data = pageJobSchema.parse(job);
  await queue.add('page', data, {
    jobId: pageJobId(data),
    attempts: PAGE_JOB_ATTEMPTS,
    backoff: { type: 'jitter' },
    removeOnComplete: KEEP_COMPLETED,
    removeOnFail: KEEP_FAILED,
  });
}
