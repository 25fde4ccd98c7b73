import type { SyncStore } from '../store/sync-store.js';
import type { Metrics } from './metrics.js';
import { overriding } from './overriding.js';
import { ATTR, SPAN, withSpan } from './spans.js';

/**
 * The store as a worker uses it, observed: `commitPage` runs in an `okta-sync.store.write` span
 * (object count, whether the page was new) and counts objects written; `finishRun` reports each
 * run this process moved to a final status (count and duration), whichever path finished it.
 */
export function instrumentStore(store: SyncStore, metrics: Metrics): SyncStore {
  const commitPage: SyncStore['commitPage'] = (page) =>
    withSpan(
      SPAN.storeWrite,
      {
        attributes: {
          [ATTR.tenantId]: page.tenantId,
          [ATTR.runId]: page.runId,
          [ATTR.objectType]: page.type,
          [ATTR.objectCount]: page.objects.length,
        },
      },
      async (span) => {
        const fresh = await store.commitPage(page);
        span.setAttribute(ATTR.pageNew, fresh);
        // A page committed twice (a retried job) wrote nothing the second time.
        if (fresh) metrics.objectsWritten(page.tenantId, page.type, page.objects.length);
        return fresh;
      },
    );
  const finishRun: SyncStore['finishRun'] = async (runId, outcome) => {
    const finished = await store.finishRun(runId, outcome);
    if (finished) {
      const run = await store.getRun(runId).catch(() => undefined);
      if (run) {
        const seconds = (Date.parse(outcome.at) - Date.parse(run.createdAt)) / 1_000;
        metrics.runFinished({ tenantId: run.tenantId, resource: run.resource, status: outcome.status, seconds });
      }
    }
    return finished;
  };
  return overriding(store, { commitPage, finishRun });
}
