import { usersCountOf } from './groups.js';
import { type ResourceSync, idAndLastUpdated, idsOf, incrementalSince, listUrl } from './resource-sync.js';

/**
 * Group memberships, `${groupId}:${userId}`. Okta has no incremental endpoint for them: the run
 * lists groups (`expand=stats`; incremental: only those whose `lastMembershipUpdated` moved) and
 * fans out one member listing per group, skipping groups with no members. Removed memberships
 * show only as absence: a full run sweeps every membership it did not see, an incremental run
 * sweeps each re-listed group's.
 */
export const membershipsSync: ResourceSync = {
  resource: 'memberships',
  type: 'membership',
  pageSize: 200,
  firstUrl({ origin, mode, watermark, limit }) {
    const params: Record<string, string> = { expand: 'stats', limit: String(limit) };
    if (mode === 'incremental' && watermark) {
      params.filter = `lastMembershipUpdated gt "${incrementalSince(mode, watermark)}"`;
    }
    return listUrl(origin, '/api/v1/groups', params);
  },
  // The group listing only finds parents; groups themselves belong to the groups run.
  toObjects: () => [],
  sweepTypes: ['membership'],
  nextWatermark: ({ startedAt }) => startedAt,
  fanOut: {
    type: 'membership',
    // The page size Okta's spec recommends for group members (it names no maximum); a 500 halves it.
    pageSize: 200,
    children(groups) {
      const list: string[] = [];
      const empty: string[] = [];
      for (const group of groups) {
        const id = idAndLastUpdated(group)?.id;
        if (id !== undefined) (usersCountOf(group) === 0 ? empty : list).push(id);
      }
      return { list, empty };
    },
    childUrl: (origin, groupId, limit) => listUrl(origin, `/api/v1/groups/${encodeURIComponent(groupId)}/users`, { limit: String(limit) }),
    toObjects: (groupId, users) =>
      idsOf(users).map((id) => ({ oktaId: `${groupId}:${id}`, data: { groupId, userId: id }, oktaLastUpdated: null })),
    sweepsParentInIncremental: true,
  },
};
