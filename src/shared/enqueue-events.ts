import { createHash } from 'node:crypto';
import { type ChangeEvent, type EventsJob, KEEP_COMPLETED, KEEP_FAILED, eventsJobSchema } from './jobs.js';
import type { TenantQueues } from './sharded-queues.js';

/** Events per `events` job: one Event Hook delivery carries at most a few hundred. */
export const EVENTS_PER_JOB = 500;

/**
 * Queues events for targeted refreshes (the worker maps them: `src/workers/watch/`). The job id
 * is a digest of the tenant and the event uuids, so a delivery Okta sends twice queues once.
 * The jobs go to the tenant's queue shard, beside its page jobs.
 */
export async function enqueueEvents(queues: TenantQueues, tenantId: string, source: EventsJob['source'], events: readonly ChangeEvent[]): Promise<number> {
  const queue = queues.forTenant(tenantId);
  let queued = 0;
  for (let i = 0; i < events.length; i += EVENTS_PER_JOB) {
    const data = eventsJobSchema.parse({ tenantId, source, events: events.slice(i, i + EVENTS_PER_JOB) });
    const digest = createHash('sha256').update(tenantId).update('\0');
    for (const e of data.events) digest.update(e.uuid).update('\0');
    await queue.add('events', data, {
      jobId: `events.${tenantId}.${digest.digest('hex').slice(0, 32)}`,
      attempts: 8,
      backoff: { type: 'jitter' },
      removeOnComplete: KEEP_COMPLETED,
      removeOnFail: KEEP_FAILED,
    });
    queued += data.events.length;
  }
  return queued;
}
