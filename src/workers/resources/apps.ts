import { type ResourceSync, byOktaId, idAndLastUpdated, idsOf, listUrl } from './resource-sync.js';

/**
 * Apps, and in full runs the users assigned to each app (`app_user`, `${appId}:${userId}`).
 * Okta offers no incremental query for either: an incremental run re-reads the app list (cheap)
 * and leaves assignments to full runs.
 */
export const appsSync: ResourceSync = {
  resource: 'apps',
  type: 'app',
  pageSize: 200,
  // Without includeNonDeleted Okta leaves INACTIVE apps out, and a full run would sweep them.
  firstUrl: ({ origin, limit }) => listUrl(origin, '/api/v1/apps', { includeNonDeleted: 'true', limit: String(limit) }),
  toObjects: byOktaId,
  sweepTypes: ['app', 'app_user'],
  fanOut: {
    type: 'app_user',
    pageSize: 500,
    children: (apps, mode) => ({ list: mode === 'full' ? idsOf(apps) : [], empty: [] }),
    childUrl: (origin, appId, limit) => listUrl(origin, `/api/v1/apps/${encodeURIComponent(appId)}/users`, { limit: String(limit) }),
    toObjects: (appId, assignments) =>
      assignments.flatMap((assignment) => {
        const key = idAndLastUpdated(assignment);
        return key ? [{ oktaId: `${appId}:${key.id}`, data: { ...(assignment as object), appId }, oktaLastUpdated: key.lastUpdated }] : [];
      }),
    sweepsParentInIncremental: false,
  },
};
