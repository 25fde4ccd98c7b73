import { asRunId, type RunId } from '../../shared/ids.js';

/**
 * The run id a tenant's watch writes under (polls and refreshes): a stand-in with no run record,
 * so the store's page and feed bookkeeping works as for a run, and a full run's sweep treats
 * what the watch wrote like anything an earlier run wrote (kept when seen, else marked deleted).
 */
export function watchRunId(tenantId: string): RunId {
  return asRunId(`watch.${tenantId}`);
}
