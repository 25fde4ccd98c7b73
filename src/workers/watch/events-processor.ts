import { createHash } from 'node:crypto';
import type { Job } from 'bullmq';
import { KEEP_FAILED, PAGE_JOB_ATTEMPTS, parseJob, refreshJobSchema } from '../../shared/jobs.js';
import type { Logger } from '../../shared/logger.js';
import type { TenantQueues } from '../../shared/sharded-queues.js';
import { refreshesFor } from './event-refreshes.js';

/** What an events job needs from the worker. */
export interface EventsProcessorDeps {
  /** Refresh jobs go to the tenant's queue shard. */
  queues: TenantQueues;
  metrics: { watchEventsRead(tenantId: string, source: string, count: number): void };
  logger: Logger;
}

/**
 * An `events` job (a watch poll's page or an Event Hook delivery) → one refresh job per object
 * its events name, coalesced (`refreshesFor`). Refresh job ids derive from the events job's id
 * and the object, so a retried events job adds nothing twice while the refresh is pending (a
 * refresh run twice writes the same thing); a later event of the same object
 * comes in another events job and refreshes again. Refresh jobs are added without a priority,
 * like every run's first page: one small job, ahead of the pages of long runs.
 */
export function createEventsProcessor(deps: EventsProcessorDeps) {
  return async function processEvents(job: Job): Promise<void> {
    const data = parseJob('events', job.data);
    // Hook deliveries are counted here; the watch counts what its polls read.
    if (data.source === 'hook') deps.metrics.watchEventsRead(data.tenantId, 'hook', data.events.length);
    const refreshes = refreshesFor(data.events);
    for (const refresh of refreshes) {
      const payload = refreshJobSchema.parse({ tenantId: data.tenantId, ...refresh });
      const digest = createHash('sha256').update(String(job.id)).update('\0').update(refresh.kind).update('\0').update(refresh.id).digest('hex');
      await deps.queues.forTenant(data.tenantId).add('refresh', payload, {
        jobId: `refresh.${data.tenantId}.${digest.slice(0, 32)}`,
        attempts: PAGE_JOB_ATTEMPTS,
        backoff: { type: 'jitter' },
        // Removed once done (trims nothing else): the id only has to hold while the refresh is pending.
        removeOnComplete: true,
        removeOnFail: KEEP_FAILED,
      });
    }
    deps.logger.debug({ tenantId: data.tenantId, source: data.source, events: data.events.length, refreshes: refreshes.length }, 'events mapped to refreshes');
  };
}
