import type { ResourceSync } from './resource-sync.js';
import { idAndLastUpdated, listUrl } from './resource-sync.js';

/** Incremental windows overlap this much: Okta's search is eventually consistent and clocks drift. */
export const INCREMENTAL_OVERLAP_MS = 5 * 60_000;

/**
 * Users. A plain list omits DEPROVISIONED users, so even a full sync lists through `search`
 * (OKTA-FACTS "Incremental sync and deletions").
 */
export const usersSync: ResourceSync = {
  resource: 'users',
  type: 'user',
  pageSize: 200,
  firstUrl({ origin, mode, watermark, limit }) {
    const since =
      mode === 'incremental' && watermark ? new Date(Date.parse(watermark) - INCREMENTAL_OVERLAP_MS) : new Date(0);
    return listUrl(origin, '/api/v1/users', { search: `lastUpdated gt "${since.toISOString()}"`, limit: String(limit) });
  },
  toObjects(items) {
    return items.map((item) => {
      const { id, lastUpdated } = idAndLastUpdated(item);
      return { oktaId: id, data: item, oktaLastUpdated: lastUpdated };
    });
  },
  nextWatermark: ({ startedAt }) => startedAt,
};
