import { type ResourceSync, byOktaId, incrementalSince, listUrl } from './resource-sync.js';

/**
 * Users. A plain list omits DEPROVISIONED users, so even a full sync lists through `search`
 * (OKTA-FACTS "Incremental sync and deletions"). Hard-deleted users vanish: a full run's sweep
 * marks them deleted.
 */
export const usersSync: ResourceSync = {
  resource: 'users',
  type: 'user',
  pageSize: 200,
  firstUrl({ origin, mode, watermark, limit }) {
    const since = incrementalSince(mode, watermark);
    return listUrl(origin, '/api/v1/users', { search: `lastUpdated gt "${since}"`, limit: String(limit) });
  },
  toObjects: byOktaId,
  sweepTypes: ['user'],
  nextWatermark: ({ startedAt }) => startedAt,
};
