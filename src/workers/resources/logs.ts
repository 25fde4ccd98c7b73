import type { ObjectWrite } from '../../shared/store/sync-store.js';
import { logsSince } from './log-retention.js';
import { type ResourceSync, listUrl } from './resource-sync.js';

/**
 * The System Log as a polling query: `since` without `until`, ordered by persistence time. The
 * `next` link is always present, so a run stops on an empty page; the link is the cursor, kept
 * after every page. `published` is never checkpointed (events arrive out of `published` order).
 * Events are keyed by `uuid`, so a page read twice (retry, crash) writes nothing new. Modes are
 * the same: there is nothing to sweep in an append-only log.
 */
export const logsSync: ResourceSync = {
  resource: 'logs',
  type: 'log_event',
  pageSize: 1000,
  firstUrl({ origin, watermark, limit, now, logFirstSyncDays, warn }) {
    if (watermark && watermark.startsWith(`${origin}/api/v1/logs?`)) return watermark;
    return listUrl(origin, '/api/v1/logs', { since: logsSince(now, logFirstSyncDays, warn), limit: String(limit) });
  },
  toObjects: (events) => events.flatMap(logEventObject),
  sweepTypes: [],
  polling: true,
};

/** An event without a `uuid` cannot be keyed: skipped (the page step records a run warning). */
function logEventObject(event: unknown): ObjectWrite[] {
  const e = event as { uuid?: unknown; published?: unknown } | null;
  if (typeof e?.uuid !== 'string' || e.uuid.length === 0) return [];
  return [{ oktaId: e.uuid, data: event, oktaLastUpdated: typeof e.published === 'string' ? e.published : null }];
}
