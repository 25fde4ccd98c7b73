import { NotFoundError } from './errors.js';
import { type RunId, type TenantId, newRunId } from './ids.js';
import { addPageJob } from './queue.js';
import type { TenantQueues } from './sharded-queues.js';
import type { Resource } from './resources.js';
import { EMPTY_COUNTERS, type RunStatus, type SyncMode, type SyncStore } from './store/sync-store.js';

export interface EnqueueRequest {
  tenantId: TenantId;
  resources: readonly Resource[];
  mode: SyncMode;
}

export interface EnqueuedRun {
  resource: Resource;
  runId: RunId;
  status: RunStatus;
  /** False when an active run for (tenant, resource) already existed and is returned instead. */
  created: boolean;
}

/**
 * One run per (tenant, resource). A second request while one is active returns it. The first
 * page job is (re)added with its deterministic id, so a crash between creating the run and adding
 * the job is healed by the next request for the same run. The job goes to the tenant's queue shard.
 */
export async function enqueueSync(deps: { store: SyncStore; queues: TenantQueues }, req: EnqueueRequest): Promise<EnqueuedRun[]> {
  const tenant = await deps.store.getTenant(req.tenantId);
  if (!tenant) throw new NotFoundError(`tenant ${req.tenantId}`);
  const out: EnqueuedRun[] = [];
  for (const resource of [...new Set(req.resources)]) {
    const { run, created } = await deps.store.createRunUnlessActive({
      runId: newRunId(),
      tenantId: req.tenantId,
      resource,
      mode: req.mode,
      status: 'queued',
      createdAt: new Date().toISOString(),
      startedAt: null,
      finishedAt: null,
      counters: { ...EMPTY_COUNTERS },
      error: null,
      warnings: [],
    });
    if (run.status === 'queued') {
      try {
        await addPageJob(deps.queues.forTenant(run.tenantId), { tenantId: run.tenantId, runId: run.runId, resource, mode: run.mode, page: 0, url: null });
      } catch (error) {
        // No half-made run: a run this call created but could not queue is closed, not left queued.
        if (created) {
          const at = new Date().toISOString();
          await deps.store
            .finishRun(run.runId, { status: 'failed', at, error: { code: 'enqueue_failed', message: 'the first page could not be queued (Redis unavailable?)' } })
            .catch(() => undefined);
        }
        throw error;
      }
    }
    out.push({ resource, runId: run.runId, status: run.status, created });
  }
  return out;
}
