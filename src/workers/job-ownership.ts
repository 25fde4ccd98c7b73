import type { RunRecord } from '../shared/store/sync-store.js';

/**
 * A job acts for its run only if the run is its tenant's (and of its resource). A job added by
 * hand (Bull Board, a script) with tenant A's id and tenant B's run id would otherwise run with
 * A's credentials and sweep B's objects: such a job is refused before it reads or writes anything.
 */
export function jobOwnsRun(job: { tenantId: string; resource: string }, run: Pick<RunRecord, 'tenantId' | 'resource'>): boolean {
  return job.tenantId === run.tenantId && job.resource === run.resource;
}
