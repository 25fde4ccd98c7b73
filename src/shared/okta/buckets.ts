/**
 * Okta rate-limit buckets, as Okta's management rate-limit table defines them (OKTA-FACTS "Which
 * bucket a request spends"). Limits are per org and per bucket, and the headers of a response
 * describe the bucket it was counted in, so the product keeps one budget state per real bucket:
 * a request mapped to the wrong bucket spends one real window from two budgets.
 * - `users`: `/api/v1/users` itself (list, search, create); `user_by_id`: `/api/v1/users/{id}`.
 * - `groups`: `/api/v1/groups` and its sub-paths (members!); `group_by_id`: `/api/v1/groups/{id}`.
 * - `apps`: `/api/v1/apps` and every `/api/v1/apps/{id}/*` (app users!); `app_by_id`: `/api/v1/apps/{id}`.
 * - `logs`: `/api/v1/logs`; `token`: `/oauth2/v1/token`; `other`: the rest of `/api/v1` (the Event
 *   Hooks API `/api/v1/eventHooks…` included: Okta's table gives it no row of its own).
 */
export const OKTA_BUCKETS = ['token', 'users', 'user_by_id', 'groups', 'group_by_id', 'apps', 'app_by_id', 'logs', 'other'] as const;
export type OktaBucket = (typeof OKTA_BUCKETS)[number];

/** Collections whose `{id}` object has a bucket of its own while the rest of the tree shares the collection's. */
const COLLECTIONS: Readonly<Record<string, { list: OktaBucket; byId: OktaBucket; subPaths: OktaBucket }>> = {
  users: { list: 'users', byId: 'user_by_id', subPaths: 'other' },
  groups: { list: 'groups', byId: 'group_by_id', subPaths: 'groups' },
  apps: { list: 'apps', byId: 'app_by_id', subPaths: 'apps' },
};

/**
 * The bucket a request to `path` (no query) spends. `method` is kept for Okta's method-specific
 * rows (user mutations have their own published limit); every request the product sends is a GET.
 */
export function bucketOf(_method: string, path: string): OktaBucket {
  if (path === '/oauth2/v1/token') return 'token';
  const segments = path.split('/').filter((s) => s !== '');
  if (segments[0] !== 'api' || segments[1] !== 'v1') return 'other';
  const collection = segments[2] ?? '';
  if (collection === 'logs' && segments.length === 3) return 'logs';
  const row = COLLECTIONS[collection];
  if (!row) return 'other';
  if (segments.length === 3) return row.list;
  if (segments.length === 4) return row.byId;
  return row.subPaths;
}
