import { compileFilter, compileWith, FilterSyntaxError, type Predicate } from './filter-expr.js';
import { GROUPS_FILTER } from './query-grammars.js';
import type { SimGroup } from './org-model.js';
import { listPage } from './list-page.js';
import type { OrgStore } from './org-store.js';
import { type Reply, oktaError, rawJsonReply } from './reply.js';
import { type RouteRequest, pathParam } from './route-request.js';

const GROUP_DATES = new Set(['created', 'lastUpdated', 'lastMembershipUpdated']);
const GROUP_ATTRIBUTES = new Set([...GROUP_DATES, 'id', 'type', 'profile.name', 'profile.description']);
const byId = (item: { id: string }): string => item.id;

function readGroup(group: SimGroup, attribute: string): string | null | undefined {
  if (attribute === 'profile.name') return group.profile.name;
  if (attribute === 'profile.description') return group.profile.description;
  const value = (group as unknown as Record<string, unknown>)[attribute];
  return typeof value === 'string' ? value : null;
}

function groupJson(store: OrgStore, group: SimGroup, withStats: boolean): string {
  const href = `${store.baseUrl}/api/v1/groups/${group.id}`;
  const links = {
    logo: [{ name: 'medium', href: `${store.baseUrl}/assets/img/logos/groups/okta-medium.png`, type: 'image/png' }],
    users: { href: `${href}/users` },
    apps: { href: `${href}/apps` },
  };
  if (!withStats) return store.serialize(group, () => ({ ...group, _links: links }));
  const usersCount = store.data.members.get(group.id)?.size ?? 0;
  const stats = { usersCount, appsCount: 0, groupPushMappingsCount: 0, hasAdminPrivilege: false, _links: { self: { href: `${href}/stats` } } };
  return JSON.stringify({ ...group, _links: links, _embedded: { stats } });
}

function selectGroups(req: RouteRequest): SimGroup[] | Reply {
  const all = req.store.sortedGroups();
  const filter = req.params.get('filter');
  const expression = filter ?? req.params.get('search');
  if (expression !== null) {
    let predicate: Predicate;
    try {
      predicate = filter !== null ? compileWith(filter, GROUPS_FILTER) : compileFilter(expression, GROUP_ATTRIBUTES, GROUP_DATES);
    } catch (error) {
      if (error instanceof FilterSyntaxError) return oktaError(400, 'E0000031', error.message);
      throw error;
    }
    return req.store.view(`groups?${filter !== null ? 'filter' : 'search'}=${expression}`, () => all.filter((group) => predicate((attribute) => readGroup(group, attribute))));
  }
  const q = req.params.get('q')?.toLowerCase();
  return q ? all.filter((group) => group.profile.name.toLowerCase().startsWith(q)) : all;
}

/** `GET /api/v1/groups`: `filter`/`search` on lastUpdated and lastMembershipUpdated, `q`, `expand=stats`. */
export function listGroups(req: RouteRequest): Reply {
  const withStats = (req.params.get('expand') ?? '').split(',').includes('stats');
  return listPage(req, { fallback: 10_000, max: 10_000 }, () => selectGroups(req), byId, (group) => groupJson(req.store, group, withStats));
}

export function getGroup(req: RouteRequest): Reply {
  const group = req.store.data.groups.get(pathParam(req, 'id'));
  if (!group) return oktaError(404, 'E0000007', `Resource not found: ${pathParam(req, 'id')} (UserGroup)`);
  const withStats = (req.params.get('expand') ?? '').split(',').includes('stats');
  return rawJsonReply(200, groupJson(req.store, group, withStats));
}

/** `GET /api/v1/groups/{id}/users`: full user objects, default (and max) 1000 per page. */
export function listGroupMembers(req: RouteRequest): Reply {
  const groupId = pathParam(req, 'id');
  const members = req.store.groupMembers(groupId);
  if (!members) return oktaError(404, 'E0000007', `Resource not found: ${groupId} (UserGroup)`);
  return listPage(req, { fallback: 1000, max: 1000 }, () => members, byId, (user) => req.store.userJson(user));
}
