import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OktaSim, type SimOrgInfo, startOktaSim } from '../../../src/okta-sim/index.js';
import { type OktaErrorBody, admin, apiGet, header, http, secretToken } from './sim-http.js';

interface WindowRecord {
  startedAtMs: number;
  endsAtMs: number;
  limit: number;
  used: number;
  rejected: number;
}

let sim: OktaSim;
let org: SimOrgInfo;
let token: string;
const WINDOW_S = 1.5;

beforeAll(async () => {
  sim = await startOktaSim({
    users: 30, groups: 2, apps: 1, logs: 2,
    rateLimits: { users: 5, groups: 50, apps: 50, logs: 50, other: 50, token: 50 },
    rateWindowSeconds: WINDOW_S,
    concurrencyLimit: 3,
  });
  org = sim.orgs[0]!;
  token = await secretToken(org);
});
afterAll(() => sim.close());

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('rate limits', () => {
  it('sends X-Rate-Limit-* and Date on every answer, success or error', async () => {
    const answers = [
      await apiGet(org, '/api/v1/groups', token),
      await apiGet(org, '/api/v1/groups', 'bad-token'),
      await apiGet(org, '/api/v1/groups/00gMissing0000000000', token),
      await http(`${org.baseUrl}/oauth2/v1/token`, { method: 'POST' }),
    ];
    for (const answer of answers) {
      expect(Number(header(answer, 'x-rate-limit-limit'))).toBeGreaterThan(0);
      expect(header(answer, 'x-rate-limit-remaining')).toMatch(/^\d+$/);
      expect(Number(header(answer, 'x-rate-limit-reset'))).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000));
      expect(Date.parse(header(answer, 'date')!)).not.toBeNaN();
    }
  });

  it('answers 429 E0000047 without Retry-After past the limit, in a window that starts with its first request', async () => {
    await sleep(WINDOW_S * 1000);
    const before = Date.now();
    const remaining: string[] = [];
    for (let i = 0; i < 5; i++) {
      const answer = await apiGet(org, '/api/v1/users?limit=1', token);
      expect(answer.status).toBe(200);
      remaining.push(header(answer, 'x-rate-limit-remaining')!);
    }
    const after = Date.now();
    expect(remaining).toEqual(['4', '3', '2', '1', '0']);
    const limited = await apiGet(org, '/api/v1/users?limit=1', token);
    expect(limited.status).toBe(429);
    expect(limited.json<OktaErrorBody>().errorCode).toBe('E0000047');
    expect(limited.headers['retry-after']).toBeUndefined();
    const reset = Number(header(limited, 'x-rate-limit-reset'));
    expect(reset).toBeGreaterThanOrEqual(Math.ceil((before + WINDOW_S * 1000) / 1000));
    expect(reset).toBeLessThanOrEqual(Math.ceil((after + WINDOW_S * 1000) / 1000));
    // Other buckets are untouched.
    expect((await apiGet(org, '/api/v1/groups', token)).status).toBe(200);

    // Wait past the window plus an odd delay: the next window starts at the next request, not on a grid.
    await sleep(WINDOW_S * 1000 + 330);
    const fresh = await apiGet(org, '/api/v1/users?limit=1', token);
    expect(fresh.status).toBe(200);
    expect(header(fresh, 'x-rate-limit-remaining')).toBe('4');
    const windows = (await admin<{ windows: Record<string, WindowRecord[]> }>(org, 'stats')).windows['users']!;
    const [previous, current] = windows.slice(-2) as [WindowRecord, WindowRecord];
    expect(previous).toMatchObject({ limit: 5, used: 5, rejected: 1 });
    expect(current.used).toBe(1);
    expect(current.startedAtMs - previous.endsAtMs).toBeGreaterThanOrEqual(300);
    expect(current.endsAtMs - current.startedAtMs).toBe(WINDOW_S * 1000);
  });

  it('answers a concurrency 429 with limit 0 and remaining 0 beyond the in-flight limit', async () => {
    await admin(org, 'faults', 'latency=300');
    await admin(org, 'reset-stats', {});
    try {
      const answers = await Promise.all(Array.from({ length: 6 }, () => apiGet(org, '/api/v1/groups', token)));
      const refused = answers.filter((a) => a.status === 429);
      expect(refused).toHaveLength(3);
      for (const answer of refused) {
        expect(header(answer, 'x-rate-limit-limit')).toBe('0');
        expect(header(answer, 'x-rate-limit-remaining')).toBe('0');
        expect(answer.json<OktaErrorBody>().errorCode).toBe('E0000047');
      }
      const stats = await admin<{ concurrencyRejected: number; maxInFlight: number; rateLimited: number }>(org, 'stats');
      expect(stats.concurrencyRejected).toBe(3);
      expect(stats.maxInFlight).toBeGreaterThanOrEqual(4);
    } finally {
      await admin(org, 'faults', '');
    }
  });
});

describe('presets', () => {
  it('uses the published enterprise defaults and the lower free-plan limits', async () => {
    const both = await startOktaSim({ orgs: 1, users: 1, groups: 1, apps: 1, logs: 1, rateLimits: 'free' });
    try {
      const free = both.orgs[0]!;
      const freeToken = await secretToken(free);
      const limits: Record<string, string | undefined> = {};
      for (const path of ['/api/v1/users', '/api/v1/groups', '/api/v1/apps', '/api/v1/logs', '/api/v1/users/x']) {
        limits[path] = header(await apiGet(free, path, freeToken), 'x-rate-limit-limit');
      }
      expect(limits).toEqual({ '/api/v1/users': '100', '/api/v1/groups': '100', '/api/v1/apps': '20', '/api/v1/logs': '20', '/api/v1/users/x': '100' });
    } finally {
      await both.close();
    }
    const enterprise = await startOktaSim({ users: 1, groups: 1, apps: 1, logs: 1 });
    try {
      const e = enterprise.orgs[0]!;
      const t = await secretToken(e);
      expect(header(await apiGet(e, '/api/v1/logs', t), 'x-rate-limit-limit')).toBe('50');
      expect(header(await apiGet(e, '/api/v1/apps', t), 'x-rate-limit-limit')).toBe('100');
      expect(header(await apiGet(e, '/api/v1/users', t), 'x-rate-limit-limit')).toBe('600');
    } finally {
      await enterprise.close();
    }
  });
});
