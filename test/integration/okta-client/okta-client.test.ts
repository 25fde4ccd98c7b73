import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { type OktaSim, startOktaSim } from '../../../src/okta-sim/index.js';
import { asTenantId } from '../../../src/shared/ids.js';
import type { OktaBucket } from '../../../src/shared/okta/buckets.js';
import {
  type CallStats,
  createOktaClient,
  emptyStats,
  type OktaClient,
  type OktaRequestEvent,
  type RateAnswer,
  type RateBudget,
  type RateDenial,
} from '../../../src/shared/okta/okta-client.js';
import type { OktaCredentials } from '../../../src/shared/okta/okta-credentials.js';
import { isOktaError, isTransient } from '../../../src/shared/okta/okta-errors.js';
import { createOktaHttp, type OktaHttp } from '../../../src/shared/okta/okta-http.js';
import { createRedisRateBudget } from '../../../src/shared/okta/rate-budget.js';
import type { AccessToken } from '../../../src/shared/okta/token-request.js';
import { createTokenService, type TokenProvider } from '../../../src/shared/okta/token-service.js';
import { createRedis, keyPrefix, type Redis } from '../../../src/shared/redis.js';
import { startTestServer, type TestServer } from './http-server.js';
import { failure } from './http-server.js';

/**
 * The Okta client against real HTTP servers (a node:http server on port 0 for shapes Okta should
 * never send, the simulator for the rest) and the real Redis budget.
 */
let server: TestServer;
let http: OktaHttp;

beforeAll(async () => {
  server = await startTestServer();
  http = createOktaHttp({ headersTimeoutMs: 2_000 });
});
afterAll(async () => {
  await http.close();
  await server.close();
});
afterEach(() => {
  server.requests.length = 0;
});

/** Hands out tokens t1, t2, …; records invalidations. */
function fakeTokens(): TokenProvider & { invalidated: string[] } {
  let n = 0;
  let current: AccessToken | undefined;
  const invalidated: string[] = [];
  return {
    invalidated,
    async get() {
      if (current) return { token: current, fetched: false };
      current = { value: `t${++n}`, type: 'Bearer', expiresAt: Date.now() + 3_600_000, lifetimeMs: 3_600_000, scope: 'okta.users.read' };
      return { token: current, fetched: true };
    },
    async invalidate(_creds, token) {
      invalidated.push(token.value);
      if (current?.value === token.value) current = undefined;
    },
    async headersFor(_creds, token) {
      return { authorization: `Bearer ${token.value}` };
    },
  };
}

/** Grants everything (or refuses with `deny`) and records what each grant was released with. */
function recordingBudget(deny?: RateDenial): RateBudget & { acquired: OktaBucket[]; released: (RateAnswer | undefined)[] } {
  const acquired: OktaBucket[] = [];
  const released: (RateAnswer | undefined)[] = [];
  return {
    acquired,
    released,
    async acquire(_tenant, bucket) {
      acquired.push(bucket);
      if (deny) return deny;
      return { granted: true, release: async (answer) => void released.push(answer) };
    },
  };
}

const creds = (origin: string): OktaCredentials => ({
  tenantId: asTenantId('acme'),
  origin,
  clientId: 'client',
  method: 'client_secret',
  secret: 'secret',
  dpop: false,
  grantedScopes: ['okta.users.read'],
});

function client(extra: { budget?: RateBudget; tokens?: TokenProvider; onRequest?: (e: OktaRequestEvent) => void } = {}): OktaClient {
  return createOktaClient({ http, tokens: extra.tokens ?? fakeTokens(), ...(extra.budget ? { budget: extra.budget } : {}), ...(extra.onRequest ? { onRequest: extra.onRequest } : {}) });
}

const page = (c: OktaClient, path: string, stats: CallStats = emptyStats(), share = 0.5) =>
  c.getPage(creds(server.origin), `${server.origin}${path}`, ['okta.users.read'], stats, share);

describe('okta client against a real HTTP server', () => {
  it('returns items and the next link, releases the lease with the rate reading, and reports the exchange', async () => {
    const reset = Math.floor(Date.now() / 1000) + 30;
    server.handler = (_req, res) => {
      res.writeHead(200, {
        link: [`<${server.origin}/api/v1/users?limit=2>; rel="self"`, `<${server.origin}/api/v1/users?after=b&limit=2>; rel="next"`],
        'x-rate-limit-limit': '600',
        'x-rate-limit-remaining': '599',
        'x-rate-limit-reset': String(reset),
      });
      res.end('[{"id":"a"},{"id":"b"}]');
    };
    const budget = recordingBudget();
    const events: OktaRequestEvent[] = [];
    const stats = emptyStats();
    const got = await page(client({ budget, onRequest: (e) => events.push(e) }), '/api/v1/users?limit=2', stats);
    // rateLimit: the answer's X-Rate-Limit-Limit, which sizes a partitioned run's cursors.
    expect(got).toEqual({ items: [{ id: 'a' }, { id: 'b' }], nextUrl: `${server.origin}/api/v1/users?after=b&limit=2`, rateLimit: 600 });
    expect(budget.acquired).toEqual(['users']);
    expect(budget.released[0]).toMatchObject({ status: 200, reading: { limit: 600, remaining: 599 } });
    expect(budget.released[0]?.reading?.resetAtMs).toBeGreaterThan(Date.now() + 25_000);
    expect(events).toEqual([{ tenantId: 'acme', bucket: 'users', status: 200, durationMs: expect.any(Number) }]);
    expect(stats).toEqual({ requests: 1, rateLimited: 0, tokenFetches: 1, retries: 0 });
  });

  it('a spent budget sends nothing and says when to come back', async () => {
    const retryAt = Date.now() + 12_345;
    const e = await failure(page(client({ budget: recordingBudget({ granted: false, retryAt, reason: 'window' }) }), '/api/v1/users'));
    expect(e.code).toBe('okta_rate_limited');
    expect(e.context).toMatchObject({ retryAt, throttle: 'window', path: '/api/v1/users' });
    const full = await failure(page(client({ budget: recordingBudget({ granted: false, retryAt, reason: 'in_flight' }) }), '/api/v1/groups'));
    expect(full.code).toBe('okta_concurrency_limited');
    expect(full.context.throttle).toBe('in_flight');
    expect(server.requests).toHaveLength(0);
  });

  it('refuses the same cursor twice as a pagination loop', async () => {
    server.handler = (req, res) => {
      res.writeHead(200, { link: `<${server.origin}${req.url}>; rel="next"` });
      res.end('[{"id":"a"}]');
    };
    const e = await failure(page(client(), '/api/v1/users?after=x'));
    expect(e.code).toBe('okta_pagination_loop');
  });

  it.each([
    ['more items than the limit asked', '/api/v1/users?limit=2', 3],
    ['more than any endpoint serves when no limit was asked', '/api/v1/users', 1_001],
  ])('refuses a page with %s as okta_bad_response', async (_name, path, count) => {
    server.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(Array.from({ length: count }, (_, i) => ({ id: `u${i}` }))));
    };
    const e = await failure(page(client(), path));
    expect(e.code).toBe('okta_bad_response');
    expect(e.message).toContain(`${count} items`);
  });

  it('accepts a page of exactly the limit asked', async () => {
    server.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('[{"id":"a"},{"id":"b"}]');
    };
    expect((await page(client(), '/api/v1/users?limit=2')).items).toHaveLength(2);
  });

  it('never follows a next link to another origin', async () => {
    server.handler = (_req, res) => {
      res.writeHead(200, { link: '<https://evil.example/api/v1/users?after=b>; rel="next"' });
      res.end('[]');
    };
    expect((await failure(page(client(), '/api/v1/users'))).code).toBe('okta_bad_response');
    // Nor a first URL that is not the tenant's.
    const foreign = client().getPage(creds(server.origin), 'https://evil.example/api/v1/users', ['okta.users.read'], emptyStats(), 0.5);
    expect((await failure(foreign)).code).toBe('okta_bad_response');
  });

  it('turns a redirect into okta_redirect without following it', async () => {
    const target = await startTestServer();
    try {
      server.handler = (_req, res) => {
        res.writeHead(301, { location: `${target.origin}/api/v1/users` });
        res.end();
      };
      const budget = recordingBudget();
      const e = await failure(page(client({ budget }), '/api/v1/users'));
      expect(e.code).toBe('okta_redirect');
      expect(target.requests).toHaveLength(0);
      expect(budget.released[0]?.status).toBe(301);
    } finally {
      await target.close();
    }
  });

  it('on 401 invalid_token evicts exactly that token and retries once with a fresh one', async () => {
    server.handler = (req, res) => {
      if (req.headers.authorization === 'Bearer t1') {
        res.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token", error_description="The token has expired."' });
        res.end(JSON.stringify({ errorCode: 'E0000011', errorSummary: 'Invalid token provided' }));
      } else res.end('[]');
    };
    const tokens = fakeTokens();
    const stats = emptyStats();
    expect((await page(client({ tokens }), '/api/v1/users', stats)).items).toEqual([]);
    expect(tokens.invalidated).toEqual(['t1']);
    expect(stats).toMatchObject({ requests: 2, tokenFetches: 2, retries: 1 });
  });

  it('a second 401 is not retried again (and that token is evicted too)', async () => {
    server.handler = (_req, res) => {
      res.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token"' });
      res.end();
    };
    const tokens = fakeTokens();
    const e = await failure(page(client({ tokens }), '/api/v1/users'));
    expect(e.code).toBe('okta_invalid_token');
    expect(tokens.invalidated).toEqual(['t1', 't2']);
    expect(server.requests).toHaveLength(2);
  });

  it('does not retry 5xx, resets or 429s itself (the queue does)', async () => {
    type Handler = TestServer['handler'];
    const reply =
      (status: number, body = '', headers: Record<string, string> = {}): Handler =>
      (_req, res) => {
        res.writeHead(status, headers);
        res.end(body);
      };
    const limited = (limit: string) => ({ 'x-rate-limit-limit': limit, 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': '9999999999' });
    const cases: [Handler, string][] = [
      [reply(503, '{"errorCode":"E0000010"}'), 'okta_server_error'],
      [(req) => req.socket.destroy(), 'okta_network'],
      [reply(429, '', limited('10')), 'okta_rate_limited'],
      [reply(429, '', limited('0')), 'okta_concurrency_limited'],
      [reply(500), 'okta_page_too_large'],
      [reply(200, '{"not":"an array"}'), 'okta_bad_response'],
      [reply(200, '[{"id":'), 'okta_bad_response'],
    ];
    for (const [handler, code] of cases) {
      server.requests.length = 0;
      server.handler = handler;
      const events: OktaRequestEvent[] = [];
      const stats = emptyStats();
      const budget = recordingBudget();
      const e = await failure(page(client({ budget, onRequest: (ev) => events.push(ev) }), '/api/v1/users?limit=200', stats));
      expect(e.code).toBe(code);
      expect(server.requests).toHaveLength(1);
      expect(budget.released).toHaveLength(1);
      expect(events).toHaveLength(1);
      if (code === 'okta_network') expect(events[0]?.status).toBe(0);
      expect(stats.rateLimited).toBe(code.endsWith('limited') ? 1 : 0);
    }
  });
});

describe('okta client with the Redis budget against the simulator', () => {
  let sim: OktaSim;
  let redis: Redis;
  const prefix = keyPrefix(`t-oc-${randomBytes(4).toString('hex')}`);

  beforeAll(async () => {
    sim = await startOktaSim({ users: 2_000, groups: 1, apps: 1, logs: 1, rateLimits: { users: 30 }, rateWindowSeconds: 2, concurrencyLimit: 6 });
    redis = createRedis(inject('redisUrl'));
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
    await sim.close();
  });

  it('16 callers on 4 clients at share 1.0 and a cap of 5 never get a 429 from Okta, nor exceed the cap', { timeout: 30_000 }, async () => {
    const org = sim.orgs[0]!;
    const simCreds: OktaCredentials = { ...creds(org.baseUrl), clientId: org.clientId, secret: org.clientSecret };
    const clients = Array.from({ length: 4 }, () => {
      const h = createOktaHttp();
      const c = createOktaClient({ http: h, tokens: createTokenService(h), budget: createRedisRateBudget(redis, { keyPrefix: prefix, tenantConcurrency: 5 }) });
      return { h, c };
    });
    const deadline = Date.now() + 5_000;
    let pages = 0;
    let waits = 0;
    const loop = async (c: OktaClient) => {
      let url: string | null = `${org.baseUrl}/api/v1/users?limit=50`;
      while (Date.now() < deadline) {
        try {
          url = (await c.getPage(simCreds, url ?? `${org.baseUrl}/api/v1/users?limit=50`, ['okta.users.read'], emptyStats(), 1)).nextUrl;
          pages++;
        } catch (error) {
          if (!isOktaError(error) || error.context.retryAt === undefined) throw error;
          waits++;
          await new Promise((r) => setTimeout(r, Math.max(0, Math.min(error.context.retryAt!, deadline) - Date.now())));
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: 16 }, (_, i) => loop(clients[i % 4]!.c)));
    } finally {
      await Promise.all(clients.map(({ h }) => h.close()));
    }
    const stats = (await (await fetch(`${org.baseUrl}/__sim/stats`)).json()) as {
      rateLimited: number;
      concurrencyRejected: number;
      maxInFlight: number;
      windows: { users: { used: number; limit: number }[] };
    };
    expect(pages).toBeGreaterThanOrEqual(55);
    expect(waits).toBeGreaterThan(0);
    expect(stats.rateLimited).toBe(0);
    expect(stats.concurrencyRejected).toBe(0);
    // One token request may overlap the first API requests; API requests alone stay under the cap.
    expect(stats.maxInFlight).toBeLessThanOrEqual(6);
    for (const w of stats.windows.users) expect(w.used).toBeLessThanOrEqual(w.limit);
    expect(Math.max(...stats.windows.users.map((w) => w.used))).toBe(30);
  });
});

describe('DPoP answers on API calls', () => {
  /** A DPoP token whose proofs say which nonce they carry; records nonces remembered for the origin. */
  function dpopTokens(): TokenProvider & { remembered: string[]; proofs: number } {
    const token: AccessToken = { value: 'd1', type: 'DPoP', expiresAt: Date.now() + 3_600_000, lifetimeMs: 3_600_000, scope: 'okta.users.read' };
    let nonce: string | undefined;
    const out = {
      remembered: [] as string[],
      proofs: 0,
      async get() {
        return { token, fetched: false };
      },
      async invalidate() {},
      async headersFor() {
        out.proofs++;
        return { authorization: 'DPoP d1', dpop: `proof-${out.proofs}-${nonce ?? 'none'}` };
      },
      async rememberApiNonce(_creds: OktaCredentials, n: string) {
        nonce = n;
        out.remembered.push(n);
      },
    };
    return out;
  }

  it('401 use_dpop_nonce: retries once with the nonce sent and keeps it for the origin', async () => {
    server.handler = (req, res) => {
      if (!String(req.headers.dpop).endsWith('-n1')) {
        res.writeHead(401, { 'www-authenticate': 'DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof."', 'dpop-nonce': 'n1' });
        res.end();
        return;
      }
      res.writeHead(200);
      res.end('[{"id":"a"}]');
    };
    const tokens = dpopTokens();
    const stats = emptyStats();
    const got = await page(client({ tokens }), '/api/v1/users', stats);
    expect(got.items).toEqual([{ id: 'a' }]);
    expect(tokens.remembered).toEqual(['n1']);
    expect(server.requests.map((r) => r.headers.dpop)).toEqual(['proof-1-none', 'proof-2-n1']);
    expect(stats).toMatchObject({ requests: 2, retries: 1 });
  });

  it('400 invalid_dpop_proof (no body): one fresh proof and one retry, then a retryable okta_invalid_dpop_proof; the token is kept', async () => {
    let refuse = 1;
    server.handler = (_req, res) => {
      if (refuse-- > 0) {
        res.writeHead(400, { 'www-authenticate': 'DPoP algs="RS256 ES256", error="invalid_dpop_proof", error_description="The DPoP proof is stale."' });
        res.end();
        return;
      }
      res.writeHead(200);
      res.end('[]');
    };
    const tokens = dpopTokens();
    expect((await page(client({ tokens }), '/api/v1/users')).items).toEqual([]);
    expect(server.requests.map((r) => r.headers.dpop)).toEqual(['proof-1-none', 'proof-2-none']);

    server.requests.length = 0;
    refuse = 5;
    const stats = emptyStats();
    const e = await failure(page(client({ tokens }), '/api/v1/users', stats));
    expect(e.code).toBe('okta_invalid_dpop_proof');
    expect(isTransient(e)).toBe(true);
    expect(server.requests).toHaveLength(2);
    expect(stats).toMatchObject({ requests: 2, retries: 1 });
  });
});
