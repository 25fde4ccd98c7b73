import { type ResourceSync, byOktaId, incrementalSince, listUrl } from './resource-sync.js';

/**
 * Groups with `expand=stats`, so each stored group carries `_embedded.stats.usersCount`. An
 * incremental run also takes groups whose membership moved, which keeps `usersCount` current.
 */
export const groupsSync: ResourceSync = {
  resource: 'groups',
  type: 'group',
  pageSize: 200,
  firstUrl({ origin, mode, watermark, limit }) {
    const params: Record<string, string> = { expand: 'stats', limit: String(limit) };
    if (mode === 'incremental' && watermark) {
      const since = incrementalSince(mode, watermark);
      params.filter = `lastUpdated gt "${since}" or lastMembershipUpdated gt "${since}"`;
    }
    return listUrl(origin, '/api/v1/groups', params);
  },
  toObjects: byOktaId,
  sweepTypes: ['group'],
  nextWatermark: ({ startedAt }) => startedAt,
};

/** `usersCount` from a group listed with `expand=stats`, or undefined when Okta left it out. */
export function usersCountOf(group: unknown): number | undefined {
  const count = (group as { _embedded?: { stats?: { usersCount?: unknown } } })?._embedded?.stats?.usersCount;
  return typeof count === 'number' ? count : undefined;
}
