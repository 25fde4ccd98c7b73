import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type OktaSim, type SimOrgInfo, startOktaSim } from '../../../src/okta-sim/index.js';
import { createOktaClient, emptyStats } from '../../../src/shared/okta/okta-client.js';
import { createOktaHttp, type OktaHttp } from '../../../src/shared/okta/okta-http.js';
import { isOktaError } from '../../../src/shared/okta/okta-errors.js';
import type { TokenProvider } from '../../../src/shared/okta/token-service.js';
import { type ClientKind, Cluster, GROUPS, USERS, credsFor, simAdmin, simStats, tokenKey } from './token-fixtures.js';

/** Client authentication (secret, private_key_jwt RS256/ES256), DPoP and token errors against the simulator. */
let sim: OktaSim;
let org: SimOrgInfo;
let cluster: Cluster;
let http: OktaHttp;

beforeAll(async () => {
  sim = await startOktaSim({ users: 12, groups: 2, apps: 1, logs: 1 });
  org = sim.orgs[0]!;
  http = createOktaHttp();
});
afterAll(async () => {
  await http.close();
  await sim.close();
});
beforeEach(() => {
  sim.org(0).resetStats();
  cluster = new Cluster();
});
afterEach(() => cluster.close());

async function readUsers(tokens: TokenProvider, kind: ClientKind): Promise<number> {
  const page = await createOktaClient({ http, tokens }).getPage(credsFor(org, kind), `${org.baseUrl}/api/v1/users?limit=5`, [USERS], emptyStats(), 1);
  return page.items.length;
}

describe('client authentication', () => {
  it.each(['secret', 'rs256', 'es256'] as const)('%s: obtains a Bearer token the org accepts', async (kind) => {
    const [a] = cluster.addMany(1);
    const { token } = await a!.get(credsFor(org, kind), [USERS]);
    expect(token.type).toBe('Bearer');
    expect(token.lifetimeMs).toBe(3_600_000);
    expect(await readUsers(a!, kind)).toBe(5);
    const stats = await simStats(org);
    expect(stats.tokensIssued.total).toBe(1);
    expect(stats.requestsByBucket.users).toEqual({ '200': 1 });
  });

  it('private_key_jwt: each fetch signs a fresh assertion (the org refuses a replayed jti)', async () => {
    const creds = credsFor(org, 'es256');
    const [a, b] = cluster.addMany(2);
    const first = (await a!.get(creds, [USERS])).token;
    await a!.invalidate(creds, first);
    const second = (await b!.get(creds, [USERS])).token;
    expect(second.value).not.toBe(first.value);
    expect((await simStats(org)).tokensIssued.total).toBe(2);
  });
});

describe('DPoP', () => {
  it('answers the nonce round once, presents proofs with ath, and shares token + key across workers', async () => {
    const creds = credsFor(org, 'dpop');
    const [a, b, c] = cluster.addMany(3);
    const { token } = await a!.get(creds, [USERS]);
    expect(token.type).toBe('DPoP');
    // First fetch: 400 use_dpop_nonce, then 200 with the nonce.
    expect((await simStats(org)).tokenRequests.byScopes[USERS]).toBe(2);
    expect(await readUsers(a!, 'dpop')).toBe(5);
    // Another worker reads the token and its key from Redis: its proofs match the token's jkt.
    const fromL2 = (await b!.get(creds, [USERS])).token;
    expect(fromL2.value).toBe(token.value);
    expect(await readUsers(b!, 'dpop')).toBe(5);
    const raw = (await cluster.redis.get(tokenKey(cluster, 't1', USERS)))!;
    expect(raw).not.toContain(token.value);
    expect(raw).not.toMatch(/"d"\s*:/);
    // A third worker fetches after an eviction: the tenant's nonce comes from Redis, no second round.
    await c!.invalidate(creds, token);
    const next = (await c!.get(creds, [USERS])).token;
    expect(next.value).not.toBe(token.value);
    expect(await readUsers(c!, 'dpop')).toBe(5);
    const stats = await simStats(org);
    expect(stats.tokenRequests.byScopes[USERS]).toBe(3);
    expect(stats.requestsByBucket.users).toEqual({ '200': 3 });
  });

  it('picks up a rotated nonce on the next fetch', async () => {
    const creds = credsFor(org, 'dpop');
    const [a] = cluster.addMany(1);
    await a!.get(creds, [USERS]);
    await simAdmin(org, 'dpop-nonce/rotate');
    // The old nonce stays valid for 3 days (as in Okta), so the next fetch needs no new round.
    expect((await a!.get(creds, [GROUPS])).token.type).toBe('DPoP');
    expect((await simStats(org)).tokenRequests.total).toBeLessThanOrEqual(3);
  });

  it('a Bearer header for a DPoP-bound token is refused by the org (the proof is what binds it)', async () => {
    const creds = credsFor(org, 'dpop');
    const [a] = cluster.addMany(1);
    const { token } = await a!.get(creds, [USERS]);
    const headers = await a!.headersFor(creds, token, 'GET', `${org.baseUrl}/api/v1/users?limit=1`);
    expect(Object.keys(headers).sort()).toEqual(['authorization', 'dpop']);
    expect(headers.authorization!.startsWith('DPoP ')).toBe(true);
    const bare = await fetch(`${org.baseUrl}/api/v1/users?limit=1`, { headers: { authorization: headers.authorization! } });
    // No proof on an API call: 400 invalid_dpop_proof, as Okta answers a bad or missing one.
    expect(bare.status).toBe(400);
    const proved = await fetch(`${org.baseUrl}/api/v1/users?limit=1`, { headers });
    expect(proved.status).toBe(200);
  });
});

describe('scopes and errors', () => {
  it('checks the granted scopes before asking: a missing scope is named and no request is sent', async () => {
    const [a] = cluster.addMany(1);
    const creds = credsFor(org, 'secret', 't1', [USERS, 'okta.groups.manage']);
    await expect(a!.get(creds, ['okta.apps.read', USERS])).rejects.toSatisfy(
      (e) => isOktaError(e, 'okta_invalid_scope') && e.message.includes('okta.apps.read') && e.context.scopes?.join() === 'okta.apps.read',
    );
    // manage implies read
    expect((await a!.get(creds, [GROUPS])).token.scope).toBe(GROUPS);
    expect((await simStats(org)).tokenRequests.total).toBe(1);
  });

  it('invalid_scope from the org names the scopes', async () => {
    await simAdmin(org, 'clients', { clientId: org.clientId, grantedScopes: [USERS] });
    try {
      const [a] = cluster.addMany(1);
      await expect(a!.get(credsFor(org, 'secret'), [GROUPS, USERS])).rejects.toSatisfy(
        (e) => isOktaError(e, 'okta_invalid_scope') && e.message.includes(GROUPS) && e.context.scopes?.includes(GROUPS) === true,
      );
    } finally {
      await simAdmin(org, 'clients', { clientId: org.clientId, grantedScopes: ['okta.users.read', 'okta.groups.read', 'okta.apps.read', 'okta.logs.read'] });
    }
  });

  it('invalid_client is the typed error job-outcome turns into credentials_invalid; no secret in it', async () => {
    const [a] = cluster.addMany(1);
    const creds = { ...credsFor(org, 'rs256'), secret: org.esPrivateKeyPem };
    const error = await a!.get(creds, [USERS]).catch((e: unknown) => e);
    expect(isOktaError(error, 'okta_invalid_client')).toBe(true);
    const shown = `${String(error)} ${JSON.stringify(error)} ${(error as Error).stack}`;
    expect(shown).not.toContain(org.esPrivateKeyPem.split('\n')[1]!);
    const garbage = await a!.get({ ...creds, secret: 'not a pem' }, [GROUPS]).catch((e: unknown) => e);
    expect(isOktaError(garbage, 'okta_invalid_client')).toBe(true);
  });
});

describe('token endpoint rate limit', () => {
  let limited: OktaSim;
  beforeAll(async () => {
    limited = await startOktaSim({ users: 2, groups: 1, apps: 1, logs: 1, rateLimits: { token: 1 } });
  });
  afterAll(() => limited.close());

  it('a 429 surfaces as okta_rate_limited with retryAt at the window reset', async () => {
    const lorg = limited.orgs[0]!;
    const [a, b] = cluster.addMany(2);
    await a!.get(credsFor(lorg, 'secret'), [USERS]);
    const error = await a!.get(credsFor(lorg, 'secret'), [GROUPS]).catch((e: unknown) => e);
    expect(isOktaError(error, 'okta_rate_limited')).toBe(true);
    const retryAt = (error as { context: { retryAt?: number } }).context.retryAt!;
    expect(retryAt).toBeGreaterThan(Date.now() + 30_000);
    expect(retryAt).toBeLessThan(Date.now() + 63_000);
    // Another worker learns it from Redis instead of spending another request.
    const again = await b!.get(credsFor(lorg, 'secret'), [GROUPS]).catch((e: unknown) => e);
    expect(isOktaError(again, 'okta_rate_limited')).toBe(true);
    expect((await simStats(lorg)).requestsByBucket.token).toEqual({ '200': 1, '429': 1 });
  });
});
