import type { RunId } from '../shared/ids.js';
import type { Logger } from '../shared/logger.js';
import { ACTIVE_RUN_STATUSES, type SyncStore } from '../shared/store/sync-store.js';

/**
 * Runs are notified by the process that wins their final status (`notifyingFinishedRuns`); one
 * that dies between the status commit and the enqueue would lose the notification. This sweep
 * closes the gap: the runs of tenants with a webhook that became final within `window` are
 * notified again. Deliveries have deterministic ids and finished delivery jobs are kept a day
 * (longer than the window), so a run already notified queues nothing new: at least once, not twice.
 */
export const RECONCILE_WINDOW_MS = 3 * 3_600_000;
/** Recent runs of one tenant looked at (a tenant finishes far fewer runs in the window). */
const RUNS_PER_TENANT = 200;

export interface WebhookReconcileDeps {
  store: Pick<SyncStore, 'listTenants' | 'getWebhook' | 'listRuns'>;
  /** The notifier the finishing path uses (idempotent per run). */
  notify(runId: RunId): Promise<void>;
  logger: Logger;
}

/** Re-notifies the final runs of the last `windowMs`; returns how many runs it looked at. */
export async function reconcileRunWebhooks(deps: WebhookReconcileDeps, now: Date, windowMs = RECONCILE_WINDOW_MS): Promise<number> {
  const since = new Date(now.getTime() - windowMs).toISOString();
  let runs = 0;
  for (const tenant of await deps.store.listTenants()) {
    if (!(await deps.store.getWebhook(tenant.tenantId))) continue;
    for (const run of await deps.store.listRuns({ tenantId: tenant.tenantId, limit: RUNS_PER_TENANT })) {
      if (ACTIVE_RUN_STATUSES.includes(run.status) || run.finishedAt === null || run.finishedAt < since) continue;
      runs++;
      await deps.notify(run.runId).catch((err: Error) => deps.logger.warn({ runId: run.runId, err: { message: err.message } }, 'could not re-enqueue run webhooks'));
    }
  }
  return runs;
}
