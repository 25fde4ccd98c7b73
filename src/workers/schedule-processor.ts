import type { Job } from 'bullmq';
import { enqueueSync } from '../shared/enqueue-sync.js';
import { asTenantId } from '../shared/ids.js';
import { parseJob } from '../shared/jobs.js';
import type { Logger } from '../shared/logger.js';
import type { TenantQueues } from '../shared/sharded-queues.js';
import type { SyncStore } from '../shared/store/sync-store.js';

/** A scheduler tick: start a run of (tenant, resource) unless one is active (then it's a no-op). */
export function createScheduleProcessor(deps: { store: SyncStore; queues: TenantQueues; logger: Logger }) {
  return async function processSchedule(job: Job): Promise<void> {
    const data = parseJob('schedule', job.data);
    const tenantId = asTenantId(data.tenantId);
    const tenant = await deps.store.getTenant(tenantId);
    if (!tenant || tenant.status !== 'active') {
      deps.logger.warn({ tenantId, resource: data.resource }, 'scheduled sync skipped: tenant missing or not active');
      return;
    }
    const [run] = await enqueueSync(deps, { tenantId, resources: [data.resource], mode: data.mode });
    if (run) deps.logger.info({ tenantId, resource: data.resource, runId: run.runId, created: run.created }, 'scheduled sync');
  };
}
