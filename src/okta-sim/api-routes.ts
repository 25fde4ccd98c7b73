import type { Reply } from './reply.js';
import type { RouteRequest } from './route-request.js';
import { getApp, getAppUser, listAppUsers, listApps } from './routes-apps.js';
import { getGroup, listGroupMembers, listGroups } from './routes-groups.js';
import { listLogs } from './routes-logs.js';
import { getUser, listUsers } from './routes-users.js';

/** A management API route: path pattern (`:name` segments), the scope it needs, its handler. */
export interface ApiRoute {
  segments: readonly string[];
  scope: string;
  handle(req: RouteRequest): Reply;
}

const route = (pattern: string, scope: string, handle: (req: RouteRequest) => Reply): ApiRoute => ({
  segments: pattern.split('/').filter((s) => s !== ''),
  scope,
  handle,
});

export const API_ROUTES: readonly ApiRoute[] = [
  route('/api/v1/users', 'okta.users.read', listUsers),
  route('/api/v1/users/:id', 'okta.users.read', getUser),
  route('/api/v1/groups', 'okta.groups.read', listGroups),
  route('/api/v1/groups/:id', 'okta.groups.read', getGroup),
  route('/api/v1/groups/:id/users', 'okta.groups.read', listGroupMembers),
  route('/api/v1/apps', 'okta.apps.read', listApps),
  route('/api/v1/apps/:id', 'okta.apps.read', getApp),
  route('/api/v1/apps/:id/users', 'okta.apps.read', listAppUsers),
  route('/api/v1/apps/:id/users/:userId', 'okta.apps.read', getAppUser),
  route('/api/v1/logs', 'okta.logs.read', listLogs),
];

export interface RouteMatch {
  route: ApiRoute;
  pathParams: Record<string, string>;
}

export function matchRoute(pathname: string): RouteMatch | undefined {
  const parts = pathname.split('/').filter((s) => s !== '');
  for (const candidate of API_ROUTES) {
    if (candidate.segments.length !== parts.length) continue;
    const pathParams: Record<string, string> = {};
    const matched = candidate.segments.every((segment, i) => {
      const part = parts[i] ?? '';
      if (!segment.startsWith(':')) return segment === part;
      const decoded = safeDecode(part);
      pathParams[segment.slice(1)] = decoded ?? part;
      return decoded !== undefined;
    });
    if (matched) return { route: candidate, pathParams };
  }
  return undefined;
}

function safeDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}
