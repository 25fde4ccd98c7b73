import { compileWith, FilterSyntaxError, type Predicate } from './filter-expr.js';
import type { SimUser } from './org-model.js';
import { listPage } from './list-page.js';
import { USERS_FILTER, USERS_SEARCH } from './query-grammars.js';
import { type Reply, oktaError, rawJsonReply } from './reply.js';
import { type RouteRequest, pathParam } from './route-request.js';
import { createdCandidates, sortUsers, userSortOf } from './user-sort.js';

const Q_ATTRIBUTES = ['firstName', 'lastName', 'email'] as const;
const byUserId = (user: SimUser): string => user.id;

function readUser(user: SimUser, attribute: string): string | null | undefined {
  if (attribute.startsWith('profile.')) return user.profile[attribute.slice(8)];
  if (attribute === 'type.id') return user.type.id;
  const value = (user as unknown as Record<string, unknown>)[attribute];
  return typeof value === 'string' ? value : null;
}

/**
 * Which users a list request selects. A plain list (and `q`) leaves DEPROVISIONED users out;
 * any `filter` or `search` includes them, which is how Okta lets an incremental sync see them.
 */
function selectUsers(req: RouteRequest): SimUser[] | Reply {
  const { store, params } = req;
  const expression = params.get('search') ?? params.get('filter');
  if (expression !== null) {
    let predicate: Predicate;
    try {
      predicate = compileWith(expression, params.has('search') ? USERS_SEARCH : USERS_FILTER);
    } catch (error) {
      if (error instanceof FilterSyntaxError) return oktaError(400, 'E0000031', error.message);
      throw error;
    }
    const sort = userSortOf(params);
    if (!('cursorKey' in sort)) return sort;
    const matches = (user: SimUser) => predicate((attribute) => readUser(user, attribute));
    const kind = params.has('search') ? 'search' : 'filter';
    // Search is eventually consistent (`searchLagMs`): recent changes are not visible yet.
    if (store.searchLag.pending(req.nowMs)) {
      const lagging = store.searchLag.view(store.sortedUsers(), req.nowMs).filter(matches);
      return sort.key === '' ? lagging : sortUsers(lagging, sort);
    }
    const byCreated = () => store.view('users?byCreated', () => [...store.sortedUsers()].sort((a, b) => (a.created < b.created ? -1 : a.created > b.created ? 1 : 0)));
    const candidates = () => createdCandidates(expression, byCreated, () => store.sortedUsers());
    const matching = store.view(`users?${kind}=${expression}`, () => candidates().filter(matches));
    return sort.key === '' ? matching : store.view(`users?${kind}=${expression}${sort.key}`, () => sortUsers(matching, sort));
  }
  const listable = store.view('users?listable', () => store.sortedUsers().filter((user) => user.status !== 'DEPROVISIONED'));
  const q = params.get('q')?.toLowerCase();
  if (!q) return listable;
  return store.view(`users?q=${q}`, () => listable.filter((user) => Q_ATTRIBUTES.some((k) => (user.profile[k] ?? '').toLowerCase().startsWith(q))));
}

/**
 * `GET /api/v1/users`: at most 200 per page, ordered by id (or a search's `sortBy`), opaque
 * `after` cursor.
 */
export function listUsers(req: RouteRequest): Reply {
  const sort = userSortOf(req.params);
  const key = 'cursorKey' in sort ? sort.cursorKey : byUserId;
  return listPage(req, { fallback: 200, max: 200 }, () => selectUsers(req), key, (user) => req.store.userJson(user));
}

/** `GET /api/v1/users/{id or login}`; DEPROVISIONED users are still found, hard-deleted ones are not. */
export function getUser(req: RouteRequest): Reply {
  const key = pathParam(req, 'id');
  let user = req.store.data.users.get(key);
  if (!user) user = req.store.sortedUsers().find((candidate) => candidate.profile.login === key);
  if (!user) return oktaError(404, 'E0000007', `Resource not found: ${key} (User)`);
  return rawJsonReply(200, req.store.userJson(user));
}
