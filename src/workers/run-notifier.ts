import type { Queue } from 'bullmq';
import type { RunId } from '../shared/ids.js';
import type { Logger } from '../shared/logger.js';
import type { SyncStore, WebhookEvent } from '../shared/store/sync-store.js';
import { overriding } from '../shared/telemetry/overriding.js';
import { type FeedRangeOf, objectsChangedPayload, runFinishedPayload } from '../shared/webhooks/webhook-events.js';
import { addWebhookJob } from '../shared/webhooks/webhook-queue.js';

export interface RunNotifierDeps {
  store: Pick<SyncStore, 'getRun' | 'getWebhook'>;
  /** The webhook delivery queue. */
  queue: Queue;
  /**
   * The change-feed cursors a run appended. When given, `objects.changed` is sent only for runs
   * that appended entries and carries their range; without it, for runs that wrote or deleted
   * objects, with `feed: null`.
   */
  feedRange?: FeedRangeOf;
  logger: Logger;
}

/** Enqueues the webhook deliveries (flow step 7) of a run that just reached a final status. */
export function createRunNotifier(deps: RunNotifierDeps): (runId: RunId) => Promise<void> {
  return async (runId) => {
    const run = await deps.store.getRun(runId);
    if (!run) return;
    const webhook = await deps.store.getWebhook(run.tenantId);
    if (!webhook) return;
    const wants = (event: WebhookEvent) => webhook.events.includes(event);
    if (wants('run.finished')) {
      const payload = runFinishedPayload(run);
      await addWebhookJob(deps.queue, { tenantId: run.tenantId, event: 'run.finished', deliveryId: payload.deliveryId, payload: { ...payload } });
    }
    if (wants('objects.changed')) {
      const range = deps.feedRange ? await deps.feedRange(run) : undefined;
      const changed = deps.feedRange ? range !== undefined : run.counters.objects + run.counters.deleted > 0;
      if (!changed) return;
      const payload = objectsChangedPayload(run, range);
      await addWebhookJob(deps.queue, { tenantId: run.tenantId, event: 'objects.changed', deliveryId: payload.deliveryId, payload: { ...payload } });
    }
  };
}

/**
 * The store with `finishRun` observed: whichever path ends a run (the finisher, a failed page, a
 * job that stalled too often), the run's webhooks are enqueued once, by the caller that won the
 * final status. A failure to enqueue is logged, not thrown: the run's end is already recorded.
 * A process that dies between the two leaves it to the hourly sweep (`webhook-reconcile.ts`).
 */
export function notifyingFinishedRuns(store: SyncStore, notify: (runId: RunId) => Promise<void>, logger: Logger): SyncStore {
  const finishRun: SyncStore['finishRun'] = async (runId, outcome) => {
    const finished = await store.finishRun(runId, outcome);
    if (finished) {
      await notify(runId).catch((err: Error) => logger.warn({ runId, err: { message: err.message } }, 'could not enqueue run webhooks'));
    }
    return finished;
  };
  return overriding(store, { finishRun });
}
