/**
 * Okta rate-limit buckets we call, by endpoint (OKTA-FACTS "Rate limits"). Limits are per org and
 * per bucket; the mapping decides which window a request spends.
 */
export const OKTA_BUCKETS = ['token', 'users', 'groups', 'apps', 'logs', 'other'] as const;
export type OktaBucket = (typeof OKTA_BUCKETS)[number];

export function bucketOf(method: string, path: string): OktaBucket {
  if (path === '/oauth2/v1/token') return 'token';
  if (method === 'GET') {
    if (path === '/api/v1/users') return 'users';
    if (path === '/api/v1/groups') return 'groups';
    if (path === '/api/v1/apps') return 'apps';
    if (path === '/api/v1/logs') return 'logs';
  }
  return 'other';
}
