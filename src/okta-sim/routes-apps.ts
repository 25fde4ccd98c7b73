import { compileFilter, FilterSyntaxError } from './filter-expr.js';
import type { SimApp, SimAppUser } from './org-model.js';
import type { OrgStore } from './org-store.js';
import { type Reply, oktaError, rawJsonReply } from './reply.js';
import { type RouteRequest, pathParam } from './route-request.js';
import { listPage } from './list-page.js';

const APP_ATTRIBUTES = new Set(['status', 'name', 'id', 'signOnMode']);
const NO_DATES = new Set<string>();
const byId = (item: { id: string }): string => item.id;

function appJson(store: OrgStore, app: SimApp): string {
  const href = `${store.baseUrl}/api/v1/apps/${app.id}`;
  return store.serialize(app, () => ({
    ...app,
    _links: { users: { href: `${href}/users` }, groups: { href: `${href}/groups` }, deactivate: { href: `${href}/lifecycle/deactivate` } },
  }));
}

function appUserJson(store: OrgStore, appId: string, assignment: SimAppUser): string {
  return store.serialize(assignment, () => ({
    ...assignment,
    _links: { app: { href: `${store.baseUrl}/api/v1/apps/${appId}` }, user: { href: `${store.baseUrl}/api/v1/users/${assignment.id}` } },
  }));
}

/**
 * `includeNonDeleted` defaults to false, and then Okta leaves non-active (INACTIVE) apps out: a
 * client that lists without it and sweeps what it did not see deletes live apps. A filter that
 * names `status` chooses for itself.
 */
function selectApps(req: RouteRequest): SimApp[] | Reply {
  const filter = req.params.get('filter');
  const everyStatus = req.params.get('includeNonDeleted') === 'true' || (filter !== null && /\bstatus\b/.test(filter));
  const all = everyStatus ? req.store.sortedApps() : req.store.view('apps?active', () => req.store.sortedApps().filter((app) => app.status === 'ACTIVE'));
  if (filter !== null) {
    try {
      const predicate = compileFilter(filter, APP_ATTRIBUTES, NO_DATES);
      return all.filter((app) => predicate((attribute) => (app as unknown as Record<string, string>)[attribute]));
    } catch (error) {
      if (error instanceof FilterSyntaxError) return oktaError(400, 'E0000031', error.message);
      throw error;
    }
  }
  const q = req.params.get('q')?.toLowerCase();
  return q ? all.filter((app) => app.name.toLowerCase().startsWith(q) || app.label.toLowerCase().startsWith(q)) : all;
}

/** `GET /api/v1/apps`: default 20 per page, at most 200; INACTIVE apps only with `includeNonDeleted=true`. */
export function listApps(req: RouteRequest): Reply {
  return listPage(req, { fallback: 20, max: 200 }, () => selectApps(req), byId, (app) => appJson(req.store, app));
}

export function getApp(req: RouteRequest): Reply {
  const app = req.store.data.apps.get(pathParam(req, 'id'));
  if (!app) return oktaError(404, 'E0000007', `Resource not found: ${pathParam(req, 'id')} (AppInstance)`);
  return rawJsonReply(200, appJson(req.store, app));
}

/** `GET /api/v1/apps/{id}/users`: default 50 per page, at most 500. */
export function listAppUsers(req: RouteRequest): Reply {
  const appId = pathParam(req, 'id');
  const assigned = req.store.appUsers(appId);
  if (!assigned) return oktaError(404, 'E0000007', `Resource not found: ${appId} (AppInstance)`);
  return listPage(req, { fallback: 50, max: 500 }, () => assigned, byId, (assignment) => appUserJson(req.store, appId, assignment));
}

/** `GET /api/v1/apps/{id}/users/{userId}`: one assignment; 404 when the app or the assignment is unknown. */
export function getAppUser(req: RouteRequest): Reply {
  const appId = pathParam(req, 'id');
  const userId = pathParam(req, 'userId');
  const assignment = req.store.appUsers(appId)?.find((a) => a.id === userId);
  if (!assignment) return oktaError(404, 'E0000007', `Resource not found: ${userId} (AppUser)`);
  return rawJsonReply(200, appUserJson(req.store, appId, assignment));
}
