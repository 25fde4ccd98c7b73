import { describe, expect, it } from 'vitest';
import { bucketFor } from '../../src/okta-sim/bucket-table.js';
import { API_ROUTES } from '../../src/okta-sim/api-routes.js';
import { BUCKETS } from '../../src/okta-sim/types.js';
import { OKTA_BUCKETS, bucketOf } from '../../src/shared/okta/buckets.js';
import { EVENT_HOOK_PATHS } from '../../src/shared/okta/event-hook-types.js';
import { RESOURCE_SYNCS } from '../../src/workers/resources/index.js';
import type { FirstPageContext } from '../../src/workers/resources/resource-sync.js';

/**
 * The product's bucket table (src/shared/okta/buckets.ts) held against the simulator's own
 * (src/okta-sim/bucket-table.ts, written from Okta's rate-limit table), for every URL shape the
 * product sends, and both against OKTA-FACTS "Which bucket a request spends". Changing either
 * table alone breaks the first comparison; changing both the same wrong way breaks the second.
 */
const ORIGIN = 'https://acme.okta.com';

/** Every first-page URL the product's resource syncs build, in both modes, plus their child URLs. */
function productUrls(): { label: string; url: string }[] {
  const out: { label: string; url: string }[] = [];
  for (const [resource, sync] of Object.entries(RESOURCE_SYNCS)) {
    for (const mode of ['full', 'incremental'] as const) {
      const ctx: FirstPageContext = { origin: ORIGIN, mode, watermark: mode === 'incremental' ? '2026-01-01T00:00:00.000Z' : undefined, limit: sync.pageSize, now: Date.parse('2026-02-01T00:00:00Z'), logFirstSyncDays: 7 };
      out.push({ label: `${resource} ${mode} listing`, url: sync.firstUrl(ctx) });
    }
    if (sync.fanOut) out.push({ label: `${resource} children`, url: sync.fanOut.childUrl(ORIGIN, '00gABC123', sync.fanOut.pageSize) });
  }
  // The watch's targeted refreshes (src/workers/watch/refresh-processor.ts) read single objects.
  out.push(
    { label: 'refresh user', url: `${ORIGIN}/api/v1/users/00gABC123` },
    { label: 'refresh group', url: `${ORIGIN}/api/v1/groups/00gABC123` },
    { label: 'refresh app', url: `${ORIGIN}/api/v1/apps/00gABC123` },
    { label: 'refresh app user', url: `${ORIGIN}/api/v1/apps/00gABC123/users/00gABC123` },
  );
  return out;
}

/** What OKTA-FACTS says each shape spends. */
const EXPECTED: readonly [path: string, bucket: string][] = [
  ['/oauth2/v1/token', 'token'],
  ['/api/v1/users', 'users'],
  ['/api/v1/users/00u1', 'user_by_id'],
  ['/api/v1/users/someone@example.com', 'user_by_id'],
  ['/api/v1/users/00u1/groups', 'other'],
  ['/api/v1/groups', 'groups'],
  ['/api/v1/groups/00g1', 'group_by_id'],
  ['/api/v1/groups/00g1/users', 'groups'],
  ['/api/v1/groups/00g1/apps', 'groups'],
  ['/api/v1/apps', 'apps'],
  ['/api/v1/apps/0oa1', 'app_by_id'],
  ['/api/v1/apps/0oa1/users', 'apps'],
  ['/api/v1/apps/0oa1/groups', 'apps'],
  ['/api/v1/apps/0oa1/users/00u1', 'apps'],
  ['/api/v1/logs', 'logs'],
  ['/api/v1/eventHooks', 'other'],
  ['/api/v1/eventHooks/who1', 'other'],
  ['/api/v1/eventHooks/who1/lifecycle/verify', 'other'],
  ['/api/v1/eventHooks/who1/lifecycle/deactivate', 'other'],
  ['/api/v1/meta/schemas/user/default', 'other'],
];

describe('rate-limit buckets: product against simulator', () => {
  const urls = productUrls();

  it('covers every URL shape the product sends', () => {
    const paths = new Set(urls.map(({ url }) => new URL(url).pathname.replace(/00gABC123/g, '{id}')));
    expect([...paths].sort()).toEqual([
      '/api/v1/apps',
      '/api/v1/apps/{id}',
      '/api/v1/apps/{id}/users',
      '/api/v1/apps/{id}/users/{id}',
      '/api/v1/groups',
      '/api/v1/groups/{id}',
      '/api/v1/groups/{id}/users',
      '/api/v1/logs',
      '/api/v1/users',
      '/api/v1/users/{id}',
    ]);
  });

  it.each(urls)('$label spends the same bucket in both tables ($url)', ({ url }) => {
    const path = new URL(url).pathname;
    expect(bucketOf('GET', path)).toBe(bucketFor('GET', path));
  });

  it.each(EXPECTED)('%s spends %s in both tables', (path, bucket) => {
    const method = path === '/oauth2/v1/token' ? 'POST' : 'GET';
    expect({ product: bucketOf(method, path), simulator: bucketFor(method, path) }).toEqual({ product: bucket, simulator: bucket });
  });

  it('agrees on every route the simulator serves', () => {
    for (const route of API_ROUTES) {
      const path = `/${route.segments.map((s) => (s.startsWith(':') ? '0x1' : s)).join('/')}`;
      expect(bucketOf('GET', path), path).toBe(bucketFor('GET', path));
    }
  });

  it.each([
    ['GET', EVENT_HOOK_PATHS.list()],
    ['POST', EVENT_HOOK_PATHS.list()],
    ['DELETE', EVENT_HOOK_PATHS.one('who1abc')],
    ['POST', EVENT_HOOK_PATHS.lifecycle('who1abc', 'verify')],
    ['POST', EVENT_HOOK_PATHS.lifecycle('who1abc', 'deactivate')],
  ])('the event hook call %s %s spends the default bucket in both tables (tenant hooks install)', (method, path) => {
    expect({ product: bucketOf(method, path), simulator: bucketFor(method, path) }).toEqual({ product: 'other', simulator: 'other' });
  });

  it('names the same set of buckets', () => {
    expect([...OKTA_BUCKETS].sort()).toEqual([...BUCKETS].sort());
  });

  it('puts app users in the apps bucket and group members in the groups bucket (the issue-12 regression)', () => {
    const child = (resource: 'apps' | 'memberships') => new URL(RESOURCE_SYNCS[resource]!.fanOut!.childUrl(ORIGIN, 'x', 10)).pathname;
    expect(bucketOf('GET', child('apps'))).toBe('apps');
    expect(bucketOf('GET', child('memberships'))).toBe('groups');
  });
});
