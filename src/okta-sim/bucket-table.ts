import type { Bucket } from './types.js';

/**
 * Which bucket a request spends, written from Okta's management rate-limit table (one row per
 * published limit) and never from the product's client: a test holds the two against each other.
 * Rows are tried in order; `*` is one path segment, `**` any number (at least one) of them.
 * - `/api/v1/apps` and every `/api/v1/apps/{id}/*` (app users included) are one row, while
 *   `/api/v1/apps/{id}` alone has its own;
 * - `/api/v1/groups` and its sub-paths (members included) except `/api/v1/groups/{id}` itself;
 * - "create or list users" is `/api/v1/users` only; "get a user by id or login" is
 *   `/api/v1/users/{idOrLogin}` (the table's separate row for user mutations is folded in: the
 *   simulator serves reads only). Sub-paths of a user fall to the default row.
 * - `/api/v1/eventHooks` and its sub-paths have no row of their own in the table: the default row.
 */
const ROWS: readonly { pattern: string; bucket: Bucket }[] = [
  { pattern: '/oauth2/v1/token', bucket: 'token' },
  { pattern: '/api/v1/apps', bucket: 'apps' },
  { pattern: '/api/v1/apps/*', bucket: 'app_by_id' },
  { pattern: '/api/v1/apps/*/**', bucket: 'apps' },
  { pattern: '/api/v1/groups', bucket: 'groups' },
  { pattern: '/api/v1/groups/*', bucket: 'group_by_id' },
  { pattern: '/api/v1/groups/*/**', bucket: 'groups' },
  { pattern: '/api/v1/users', bucket: 'users' },
  { pattern: '/api/v1/users/*', bucket: 'user_by_id' },
  { pattern: '/api/v1/logs', bucket: 'logs' },
];

const compiled = ROWS.map(({ pattern, bucket }) => {
  const source = pattern
    .split('/')
    .map((part) => (part === '**' ? '[^/]+(?:/[^/]+)*' : part === '*' ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return { regex: new RegExp(`^${source}/?$`), bucket };
});

/** The bucket of one request; anything without a row of its own shares `other`. */
export function bucketFor(_method: string, pathname: string): Bucket {
  return compiled.find((row) => row.regex.test(pathname))?.bucket ?? 'other';
}
