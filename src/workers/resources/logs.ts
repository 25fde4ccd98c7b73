import type { ObjectWrite } from '../../shared/store/sync-store.js';
import { type ResourceSync, listUrl } from './resource-sync.js';

const DAY_MS = 86_400_000;

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
  firstUrl({ origin, watermark, limit, now, logFirstSyncDays }) {
    if (watermark && watermark.startsWith(`${origin}/api/v1/logs?`)) return watermark;
    const since = new Date(now - logFirstSyncDays * DAY_MS).toISOString();
    return listUrl(origin, '/api/v1/logs', { since, limit: String(limit) });
  },
  toObjects: (events) => events.map(logEventObject),
  sweepTypes: [],
  polling: true,
};

function logEventObject(event: unknown): ObjectWrite {
  const e = event as { uuid?: unknown; published?: unknown };
  if (typeof e?.uuid !== 'string' || e.uuid.length === 0) throw new TypeError('System Log event without a uuid');
  return { oktaId: e.uuid, data: event, oktaLastUpdated: typeof e.published === 'string' ? e.published : null };
}
