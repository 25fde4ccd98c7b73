import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OktaSim, startOktaSim } from '../../../src/okta-sim/index.js';
import { VERIFY_CONCURRENCY } from '../../../src/producer/verify-tenant.js';
import { type ApiHarness, json, startHarness } from './api-harness.js';

/** Issue 13: verify reads its resources a few at a time (p-limit), never more at once. */
let h: ApiHarness;
let sim: OktaSim;

beforeAll(async () => {
  // Slow answers, so reads that overlap are seen overlapping.
  [h, sim] = await Promise.all([startHarness('api-verify-parallel'), startOktaSim({ users: 5, groups: 3, apps: 2, logs: 5, rateLimits: 'unlimited', latencyMs: 300 })]);
});

afterAll(async () => {
  await h?.close();
  await sim?.close();
});

describe('verify concurrency', () => {
  it('checks resources in parallel, at most VERIFY_CONCURRENCY reads in flight, with the same report', async () => {
    const org = sim.orgs[0]!;
    const put = await h.call({ method: 'PUT', url: '/v1/tenants/par', payload: { oktaDomain: org.domain, clientId: org.clientId, clientSecret: org.clientSecret } });
    expect(put.statusCode).toBeLessThan(300);
    sim.org(0).resetStats();
    const res = await h.call({ method: 'POST', url: '/v1/tenants/par/verify' });
    expect(res.statusCode).toBe(200);
    const report = json<{ ok: boolean; resources: Record<string, { readable: boolean }> }>(res);
    expect(report.ok).toBe(true);
    expect(Object.keys(report.resources)).toEqual(['users', 'groups', 'memberships', 'apps', 'logs']);
    const stats = sim.org(0).stats();
    expect(stats.apiRequests).toBe(5);
    expect(stats.maxInFlight).toBeGreaterThanOrEqual(2);
    expect(stats.maxInFlight).toBeLessThanOrEqual(VERIFY_CONCURRENCY);
  });
});
