import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OktaSim, type SimOrgInfo, startOktaSim } from '../../../src/okta-sim/index.js';
import {
  ALL_READ, admin, apiGet, assertionForm, basic, clientAssertion, dpopKey, dpopProof, header, http, secretToken, tokenRequest,
} from './sim-http.js';

let sim: OktaSim;
let org: SimOrgInfo;

beforeAll(async () => {
  sim = await startOktaSim({ users: 20, groups: 3, apps: 2, logs: 5 });
  org = sim.orgs[0]!;
});
afterAll(() => sim.close());

const cc = (scope = ALL_READ): Record<string, string> => ({ grant_type: 'client_credentials', scope });
const rs = (extra: Partial<Parameters<typeof clientAssertion>[1]> = {}) =>
  clientAssertion(org, { clientId: org.privateKeyClientId, pem: org.privateKeyPem, kid: org.keyId, alg: 'RS256', ...extra });

describe('client_secret_basic', () => {
  it('issues a Bearer token with the requested scopes and the configured lifetime', async () => {
    const answer = await tokenRequest(org, cc('okta.users.read okta.groups.read'), { authorization: basic(org.clientId, org.clientSecret) });
    expect(answer.status).toBe(200);
    const body = answer.json<Record<string, unknown>>();
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'okta.users.read okta.groups.read' });
    expect(String(body['access_token']).split('.')).toHaveLength(3);
    expect(header(answer, 'x-rate-limit-limit')).toBe('1200');
  });

  it('answers 401 invalid_client for a wrong secret or an unknown client', async () => {
    for (const auth of [basic(org.clientId, 'wrong'), basic('0oaUnknownClient0000', org.clientSecret), undefined]) {
      const answer = await tokenRequest(org, cc(), auth ? { authorization: auth } : {});
      expect(answer.status).toBe(401);
      expect(answer.json()).toMatchObject({ error: 'invalid_client' });
    }
  });

  it('refuses a private_key_jwt client presenting a secret', async () => {
    const answer = await tokenRequest(org, cc(), { authorization: basic(org.privateKeyClientId, 'anything') });
    expect(answer.status).toBe(401);
  });

  it('answers 400 invalid_scope for empty, unknown and ungranted scopes', async () => {
    const auth = { authorization: basic(org.clientId, org.clientSecret) };
    for (const scope of ['', 'okta.unicorns.read', 'okta.users.manage', 'okta.roles.read']) {
      const answer = await tokenRequest(org, cc(scope), auth);
      expect(answer.status, scope).toBe(400);
      expect(answer.json()).toMatchObject({ error: 'invalid_scope' });
    }
  });

  it('grants read through manage and follows granted-scope changes', async () => {
    await admin(org, 'clients', { clientId: org.clientId, grantedScopes: ['okta.users.manage'] });
    const auth = { authorization: basic(org.clientId, org.clientSecret) };
    expect((await tokenRequest(org, cc('okta.users.read'), auth)).status).toBe(200);
    expect((await tokenRequest(org, cc('okta.groups.read'), auth)).status).toBe(400);
    await admin(org, 'clients', { clientId: org.clientId, grantedScopes: org.grantedScopes });
  });

  it('rejects other grant types and non-form bodies', async () => {
    const auth = { authorization: basic(org.clientId, org.clientSecret) };
    const wrongGrant = await tokenRequest(org, { grant_type: 'password', scope: ALL_READ }, auth);
    expect(wrongGrant.status).toBe(400);
    expect(wrongGrant.json()).toMatchObject({ error: 'unsupported_grant_type' });
    const json = await http(`${org.baseUrl}/oauth2/v1/token`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{}' });
    expect(json.json()).toMatchObject({ error: 'invalid_request' });
  });
});

describe('private_key_jwt', () => {
  it('accepts RS256 and ES256 assertions signed with the registered keys', async () => {
    const rsAnswer = await tokenRequest(org, assertionForm(await rs()));
    expect(rsAnswer.status).toBe(200);
    const es = await clientAssertion(org, { clientId: org.esClientId, pem: org.esPrivateKeyPem, kid: org.esKeyId, alg: 'ES256' });
    const esAnswer = await tokenRequest(org, assertionForm(es));
    expect(esAnswer.status).toBe(200);
    const token = esAnswer.json<{ access_token: string }>().access_token;
    expect((await apiGet(org, '/api/v1/users?limit=1', token)).status).toBe(200);
  });

  it('rejects a replayed jti', async () => {
    const assertion = await rs({ jti: 'same-jti-twice' });
    expect((await tokenRequest(org, assertionForm(assertion))).status).toBe(200);
    const replay = await tokenRequest(org, assertionForm(assertion));
    expect(replay.status).toBe(401);
    expect(replay.json()).toMatchObject({ error: 'invalid_client' });
  });

  it.each([
    ['wrong audience', { aud: 'https://example.okta.com/oauth2/v1/token' }],
    ['exp more than an hour ahead', { expiresIn: 2 * 3600 }],
    ['expired', { issuedAt: Math.floor(Date.now() / 1000) - 900, expiresIn: 300 }],
    ['unknown kid', { kid: 'not-registered' }],
    ['iss differing from sub', { iss: 'someone-else' }],
  ])('rejects an assertion with %s as 401 invalid_client', async (_name, extra) => {
    const answer = await tokenRequest(org, assertionForm(await rs(extra)));
    expect(answer.status).toBe(401);
    expect(answer.json()).toMatchObject({ error: 'invalid_client' });
  });

  it('rejects a signature made with another key', async () => {
    const forged = await clientAssertion(org, { clientId: org.privateKeyClientId, kid: org.keyId, pem: org.esPrivateKeyPem, alg: 'ES256' });
    expect((await tokenRequest(org, assertionForm(forged))).status).toBe(401);
  });
});

describe('DPoP', () => {
  const tokenUrl = (): string => `${org.baseUrl}/oauth2/v1/token`;
  const auth = (): Record<string, string> => ({ authorization: basic(org.dpopClientId, org.dpopClientSecret) });

  it('runs the use_dpop_nonce round and issues a DPoP token usable with a proof carrying ath', async () => {
    const key = await dpopKey();
    expect((await tokenRequest(org, cc(), auth())).json()).toMatchObject({ error: 'invalid_dpop_proof' });
    const first = await tokenRequest(org, cc(), { ...auth(), dpop: await dpopProof(key, { htm: 'POST', htu: tokenUrl() }) });
    expect(first.status).toBe(400);
    expect(first.json()).toMatchObject({ error: 'use_dpop_nonce' });
    const nonce = header(first, 'dpop-nonce');
    expect(nonce).toBeTruthy();
    const second = await tokenRequest(org, cc(), { ...auth(), dpop: await dpopProof(key, { htm: 'POST', htu: tokenUrl(), nonce: nonce! }) });
    expect(second.status).toBe(200);
    const { access_token: token, token_type: type } = second.json<{ access_token: string; token_type: string }>();
    expect(type).toBe('DPoP');

    const htu = `${org.baseUrl}/api/v1/users`;
    const ath = createHash('sha256').update(token).digest('base64url');
    const ok = await http(`${htu}?limit=2`, { headers: { authorization: `DPoP ${token}`, dpop: await dpopProof(key, { htm: 'GET', htu, ath }) } });
    expect(ok.status).toBe(200);
    const asBearer = await apiGet(org, '/api/v1/users', token);
    expect(asBearer.status).toBe(401);
    const badAth = await http(htu, { headers: { authorization: `DPoP ${token}`, dpop: await dpopProof(key, { htm: 'GET', htu, ath: 'AAAA' }) } });
    // A bad proof on an API call is 400 invalid_dpop_proof, usually with no body (OKTA-FACTS).
    expect(badAth.status).toBe(400);
    expect(header(badAth, 'www-authenticate')).toContain('error="invalid_dpop_proof"');
    expect(badAth.text).toBe('');
    const otherKey = await dpopKey();
    const stolen = await http(htu, { headers: { authorization: `DPoP ${token}`, dpop: await dpopProof(otherKey, { htm: 'GET', htu, ath }) } });
    expect(stolen.status).toBe(401);
  });

  it('rejects proofs with the wrong typ, htm or htu, and a reused jti', async () => {
    const key = await dpopKey();
    const first = await tokenRequest(org, cc(), { ...auth(), dpop: await dpopProof(key, { htm: 'POST', htu: tokenUrl() }) });
    const nonce = header(first, 'dpop-nonce')!;
    const bad = [
      await dpopProof(key, { htm: 'POST', htu: tokenUrl(), nonce }, 'JWT'),
      await dpopProof(key, { htm: 'GET', htu: tokenUrl(), nonce }),
      await dpopProof(key, { htm: 'POST', htu: `${org.baseUrl}/elsewhere`, nonce }),
      await dpopProof(key, { htm: 'POST', htu: tokenUrl(), nonce, iat: Math.floor(Date.now() / 1000) - 3600 }),
    ];
    for (const proof of bad) expect((await tokenRequest(org, cc(), { ...auth(), dpop: proof })).json()).toMatchObject({ error: 'invalid_dpop_proof' });
    const once = await dpopProof(key, { htm: 'POST', htu: tokenUrl(), nonce, jti: 'one-jti' });
    expect((await tokenRequest(org, cc(), { ...auth(), dpop: once })).status).toBe(200);
    expect((await tokenRequest(org, cc(), { ...auth(), dpop: once })).json()).toMatchObject({ error: 'invalid_dpop_proof' });
  });
});

describe('DPoP nonce rotation', () => {
  it('accepts the previous nonce after a rotation as well as the new one', async () => {
    const key = await dpopKey();
    const tokenUrl = `${org.baseUrl}/oauth2/v1/token`;
    const auth = { authorization: basic(org.dpopClientId, org.dpopClientSecret) };
    const old = header(await tokenRequest(org, cc(), { ...auth, dpop: await dpopProof(key, { htm: 'POST', htu: tokenUrl }) }), 'dpop-nonce')!;
    await admin(org, 'dpop-nonce/rotate', {});
    const fresh = await tokenRequest(org, cc(), { ...auth, dpop: await dpopProof(key, { htm: 'POST', htu: tokenUrl }) });
    const current = header(fresh, 'dpop-nonce')!;
    expect(current).not.toBe(old);
    for (const nonce of [old, current]) {
      expect((await tokenRequest(org, cc(), { ...auth, dpop: await dpopProof(key, { htm: 'POST', htu: tokenUrl, nonce }) })).status).toBe(200);
    }
    const made = await tokenRequest(org, cc(), { ...auth, dpop: await dpopProof(key, { htm: 'POST', htu: tokenUrl, nonce: 'made-up' }) });
    expect(made.json()).toMatchObject({ error: 'use_dpop_nonce' });
  });
});

describe('token latency', () => {
  it('delays the token endpoint by tokenDelayMs', async () => {
    const slow = await startOktaSim({ users: 1, groups: 1, apps: 1, logs: 1, tokenDelayMs: 250 });
    try {
      const started = performance.now();
      await secretToken(slow.orgs[0]!);
      expect(performance.now() - started).toBeGreaterThanOrEqual(240);
    } finally {
      await slow.close();
    }
  });
});

describe('token counters', () => {
  it('counts token requests per client and per scope set, and issued tokens', async () => {
    await admin(org, 'reset-stats', {});
    await secretToken(org, 'okta.users.read');
    await secretToken(org, 'okta.users.read');
    await tokenRequest(org, cc(), { authorization: basic(org.clientId, 'wrong') });
    const stats = await admin<{ tokenRequests: { total: number; byClient: Record<string, number>; byScopes: Record<string, number> }; tokensIssued: { total: number } }>(org, 'stats');
    expect(stats.tokenRequests.total).toBe(3);
    expect(stats.tokenRequests.byClient[org.clientId]).toBe(3);
    expect(stats.tokenRequests.byScopes['okta.users.read']).toBe(2);
    expect(stats.tokensIssued.total).toBe(2);
  });
});
