import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type OktaSim, type SimOrgInfo, startOktaSim } from '../../../src/okta-sim/index.js';
import { createOktaClient, emptyStats } from '../../../src/shared/okta/okta-client.js';
import { type OktaCredentials, credentialVersion } from '../../../src/shared/okta/okta-credentials.js';
import { createOktaHttp } from '../../../src/shared/okta/okta-http.js';
import { isOktaError } from '../../../src/shared/okta/okta-errors.js';
import type { AccessToken } from '../../../src/shared/okta/token-request.js';
import { tokenContext } from '../../../src/shared/okta/token-shared-cache.js';
import { Cluster, GROUPS, USERS, credsFor, simAdmin, simStats, sleep, tokenKey } from './token-fixtures.js';

/**
 * The cluster-wide token cache against real Redis and the simulator (token answers after 300 ms):
 * separate TokenService instances stand for worker processes.
 */
let sim: OktaSim;
let org: SimOrgInfo;
let cluster: Cluster;

beforeAll(async () => {
  sim = await startOktaSim({ users: 30, groups: 2, apps: 1, logs: 1, tokenDelayMs: 300 });
  org = sim.orgs[0]!;
});
afterAll(() => sim.close());
beforeEach(async () => {
  sim.org(0).resetStats();
  await simAdmin(org, 'faults', {});
  cluster = new Cluster();
});
afterEach(() => cluster.close());

const requestsFor = async (scope: string) => (await simStats(org)).tokenRequests.byScopes[scope] ?? 0;

describe('one token per (tenant, scope set) across the cluster', () => {
  it('8 services x 25 concurrent callers per scope set from a cold start: one token request per scope set', async () => {
    const creds = credsFor(org, 'secret');
    const services = cluster.addMany(8);
    const calls = services.flatMap((s) => Array.from({ length: 50 }, (_, i) => s.get(creds, [i % 2 ? USERS : GROUPS])));
    const got = await Promise.all(calls);
    expect(await requestsFor(USERS)).toBe(1);
    expect(await requestsFor(GROUPS)).toBe(1);
    expect(new Set(got.filter((_, i) => i % 2).map((g) => g.token.value)).size).toBe(1);
    expect(new Set(got.filter((_, i) => !(i % 2)).map((g) => g.token.value)).size).toBe(1);
    expect(got.filter((g) => g.fetched)).toHaveLength(2);
    const kinds = cluster.events.map((e) => e.kind);
    expect(kinds.filter((k) => k === 'fetch')).toHaveLength(2);
    // The other 7 services waited for the holder (or read L2 just after it wrote).
    expect(kinds.filter((k) => k === 'lock_wait' || k === 'l2_hit').length).toBe(14);
    // A warm service answers from L1 without Redis.
    const before = cluster.events.length;
    await services[3]!.get(creds, [USERS]);
    expect(cluster.events.slice(before).map((e) => e.kind)).toEqual(['l1_hit']);
  });

  it('the per-process baseline (no Redis) spends one request per process', async () => {
    const creds = credsFor(org, 'secret');
    const services = Array.from({ length: 4 }, () => cluster.add({}, false));
    await Promise.all(services.flatMap((s) => Array.from({ length: 25 }, () => s.get(creds, [USERS]))));
    expect(await requestsFor(USERS)).toBe(4);
  });

  it('keys tokens by tenant: another tenant on the same org gets its own token', async () => {
    const [a, b] = cluster.addMany(2);
    const ta = await a!.get(credsFor(org, 'secret', 'tenant-a'), [USERS]);
    const tb = await b!.get(credsFor(org, 'secret', 'tenant-b'), [USERS]);
    expect(ta.token.value).not.toBe(tb.token.value);
    expect(await requestsFor(USERS)).toBe(2);
  });

  it('a lock holder that died costs only the lock TTL', async () => {
    const creds = credsFor(org, 'secret');
    const [a, b] = cluster.addMany(2, { lockTtlMs: 1_500 });
    // A holder that took the lock and died: nobody renews or releases it.
    await cluster.redis.set(`${tokenKey(cluster, 't1', USERS)}:lock`, 'dead-holder', 'PX', 1_500, 'NX');
    const t0 = Date.now();
    const [ga, gb] = await Promise.all([a!.get(creds, [USERS]), b!.get(creds, [USERS])]);
    const elapsed = Date.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(1_400);
    expect(elapsed).toBeLessThan(1_500 + 300 + 2_500);
    expect(ga.token.value).toBe(gb.token.value);
    expect(await requestsFor(USERS)).toBe(1);
  });

  it('a live holder keeps its lock past the TTL while the token endpoint is slow', async () => {
    await simAdmin(org, 'faults', { latencyMs: { min: 1_200, max: 1_200 } });
    const creds = credsFor(org, 'secret');
    const services = cluster.addMany(3, { lockTtlMs: 500 });
    const got = await Promise.all(services.map((s) => s.get(creds, [USERS])));
    expect(new Set(got.map((g) => g.token.value)).size).toBe(1);
    expect(await requestsFor(USERS)).toBe(1);
  });
});

describe('invalidation', () => {
  it('evicts exactly the token that failed (compare-and-delete), never its successor', async () => {
    const creds = credsFor(org, 'secret');
    const [a, b] = cluster.addMany(2);
    const t1 = (await a!.get(creds, [USERS])).token;
    expect((await b!.get(creds, [USERS])).token.value).toBe(t1.value);
    await a!.invalidate(creds, t1);
    expect(await cluster.redis.exists(tokenKey(cluster, 't1', USERS))).toBe(0);
    const t2 = (await a!.get(creds, [USERS])).token;
    expect(t2.value).not.toBe(t1.value);
    // b learns late that t1 failed: its eviction must not remove t2.
    await b!.invalidate(creds, t1);
    expect(await cluster.redis.exists(tokenKey(cluster, 't1', USERS))).toBe(1);
    expect((await b!.get(creds, [USERS])).token.value).toBe(t2.value);
    expect(await requestsFor(USERS)).toBe(2);
  });

  it('after a revocation, 4 workers x 10 calls that all meet 401 invalid_token cause one new token request', async () => {
    const creds = credsFor(org, 'secret');
    const services = cluster.addMany(4);
    const http = createOktaHttp();
    try {
      const clients = services.map((tokens) => createOktaClient({ http, tokens }));
      const url = `${org.baseUrl}/api/v1/users?limit=5`;
      await Promise.all(clients.map((c) => c.getPage(creds, url, [USERS], emptyStats(), 1)));
      expect(await requestsFor(USERS)).toBe(1);
      await simAdmin(org, 'revoke', {});
      const stats = Array.from({ length: 40 }, () => emptyStats());
      const pages = await Promise.all(stats.map((s, i) => clients[i % 4]!.getPage(creds, url, [USERS], s, 1)));
      expect(pages.every((p) => p.items.length === 5)).toBe(true);
      expect(await requestsFor(USERS)).toBe(2);
      expect(stats.reduce((n, s) => n + s.tokenFetches, 0)).toBe(1);
    } finally {
      await http.close();
    }
  });
});

describe('failures are shared, not repeated', () => {
  it('a rejected client costs one token request however many workers wait', async () => {
    const creds = { ...credsFor(org, 'secret'), secret: 'wrong-secret-value' };
    const services = cluster.addMany(6);
    const results = await Promise.allSettled(services.flatMap((s) => [s.get(creds, [USERS]), s.get(creds, [USERS])]));
    expect(results.every((r) => r.status === 'rejected' && isOktaError(r.reason, 'okta_invalid_client'))).toBe(true);
    expect(await requestsFor(USERS)).toBe(1);
    for (const r of results) expect(JSON.stringify((r as PromiseRejectedResult).reason)).not.toContain('wrong-secret-value');
  });

  it('a 503 from the token endpoint surfaces as okta_server_error for the queue to retry, once for all waiters', async () => {
    await simAdmin(org, 'faults', { tokenError: 1 });
    const services = cluster.addMany(4);
    const results = await Promise.allSettled(services.map((s) => s.get(credsFor(org, 'secret'), [USERS])));
    expect(results.every((r) => r.status === 'rejected' && isOktaError(r.reason, 'okta_server_error'))).toBe(true);
    // The simulator's injected 503 answers before its per-scope counter: count the token bucket's 503s.
    expect((await simStats(org)).requestsByBucket.token).toEqual({ '503': 1 });
  });
});

describe('encryption at rest', () => {
  it('stores only ciphertext bound to tenant, origin, client and scope set', async () => {
    const creds = credsFor(org, 'secret');
    const [a] = cluster.addMany(1);
    const token = (await a!.get(creds, [USERS, GROUPS])).token;
    const raw = (await cluster.redis.get(tokenKey(cluster, 't1', `${GROUPS} ${USERS}`)))!;
    expect(raw).toBeTruthy();
    expect(raw).not.toContain(token.value);
    for (const part of token.value.split('.')) expect(raw).not.toContain(part);
    const sealed = raw.slice(raw.indexOf('.') + 1);
    expect(JSON.parse(cluster.keyring.decrypt(sealed, tokenContext(creds, `${GROUPS} ${USERS}`))).v).toBe(token.value);
    expect(() => cluster.keyring.decrypt(sealed, tokenContext({ ...creds, tenantId: 'other' as never }, `${GROUPS} ${USERS}`))).toThrow();
    const ttl = await cluster.redis.pttl(tokenKey(cluster, 't1', `${GROUPS} ${USERS}`));
    // TTL = lifetime (3600 s) minus the 30 s skew, give or take the request time.
    expect(ttl).toBeGreaterThan(3_569_000 - 1_000);
    expect(ttl).toBeLessThanOrEqual(3_570_000);
  });

  it('a tenant whose client changed does not get the old client\'s token back', async () => {
    const [a, b] = cluster.addMany(2);
    const before = (await a!.get(credsFor(org, 'secret'), [USERS])).token;
    const after = (await b!.get(credsFor(org, 'rs256'), [USERS])).token;
    expect(after.value).not.toBe(before.value);
    // …nor does a process holding the old one in L1.
    expect((await a!.get(credsFor(org, 'rs256'), [USERS])).token.value).toBe(after.value);
  });

  it('a new secret for the same client retires the cached token on every process (credential version)', async () => {
    const versioned = (c: OktaCredentials): OktaCredentials => ({ ...c, version: credentialVersion(c) });
    const good = versioned(credsFor(org, 'secret'));
    const changed = versioned({ ...good, secret: `${good.secret}-rotated` });
    const [a, b] = cluster.addMany(2);
    await a!.get(good, [USERS]);
    await b!.get(good, [USERS]);
    const before = await requestsFor(USERS);
    // The org knows only the old secret, so a fetch with the new one is refused: the cached token
    // was not reused (neither from a's L1 nor from Redis by b).
    for (const s of [a!, b!]) {
      const e = await s.get(changed, [USERS]).then(() => undefined, (err: unknown) => err);
      expect(isOktaError(e, 'okta_invalid_client'), String(e)).toBe(true);
    }
    expect(await requestsFor(USERS)).toBeGreaterThan(before);
    // The refusal is shared under the new secret's version only: the old credential still gets its token.
    expect(await cluster.redis.exists(`${tokenKey(cluster, 't1', USERS)}:failed`)).toBe(1);
    const [c] = cluster.addMany(1);
    expect((await c!.get(good, [USERS])).token.value).toBeTruthy();
  });
});

describe('refresh ahead of expiry', () => {
  let shortSim: OktaSim;
  let shortOrg: SimOrgInfo;
  beforeAll(async () => {
    shortSim = await startOktaSim({ users: 5, groups: 1, apps: 1, logs: 1, tokenTtlSeconds: 4, tokenDelayMs: 300 });
    shortOrg = shortSim.orgs[0]!;
  });
  afterAll(() => shortSim.close());

  it('one process refreshes while the others keep using the current token: nobody waits after the cold start', async () => {
    const creds = credsFor(shortOrg, 'secret');
    const services = cluster.addMany(4);
    await Promise.all(services.map((s) => s.get(creds, [USERS])));
    const warm = cluster.events.length;
    const latencies: number[] = [];
    const seen: AccessToken[] = [];
    const until = Date.now() + 5_500;
    await Promise.all(
      services.map(async (s) => {
        while (Date.now() < until) {
          const t0 = performance.now();
          const { token } = await s.get(creds, [USERS]);
          latencies.push(performance.now() - t0);
          expect(token.expiresAt - Date.now()).toBeGreaterThan(900);
          if (!seen.some((t) => t.value === token.value)) seen.push(token);
          await sleep(25);
        }
      }),
    );
    // 4 s tokens refresh 2 s after issue (+300 ms answer): issued at ~0, ~2.3, ~4.6 s.
    const requests = (await simStats(shortOrg)).tokenRequests.byScopes[USERS] ?? 0;
    expect(requests).toBeGreaterThanOrEqual(3);
    expect(requests).toBeLessThanOrEqual(4);
    expect(seen.length).toBe(requests);
    const fetches = cluster.events.filter((e) => e.kind === 'fetch');
    expect(fetches.filter((e) => e.background)).toHaveLength(requests - 1);
    // The refresh never blocks a caller: after the cold start nobody fetched or waited in the foreground…
    const after = cluster.events.slice(warm);
    expect(after.filter((e) => (e.kind === 'fetch' && !e.background) || e.kind === 'lock_wait')).toEqual([]);
    // …so callers are served from memory (a blocking fetch takes >= 300 ms here).
    latencies.sort((x, y) => x - y);
    expect(latencies[Math.floor(latencies.length / 2)]!).toBeLessThan(20);
    expect(latencies[Math.floor(latencies.length * 0.95)]!).toBeLessThan(150);
  });
});
