import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OktaSim, startOktaSim } from '../../../src/okta-sim/index.js';
import { createOktaHttp, type OktaHttp } from '../../../src/shared/okta/okta-http.js';
import { type ApiHarness, json, KEY, KEY2, startHarness } from './api-harness.js';

/**
 * The client secret, the private key, the access tokens Okta issued and the API keys must never
 * appear in any log line or any response of a full onboarding + verify + sync-request flow,
 * including its error paths.
 */
let h: ApiHarness;
let sim: OktaSim;
const issuedTokens: string[] = [];

/** Records every access token the token endpoint hands out, to look for it afterwards. */
function recordingHttp(): OktaHttp {
  const inner = createOktaHttp();
  return {
    async request(options) {
      const res = await inner.request(options);
      if (options.url.endsWith('/oauth2/v1/token')) {
        const token = (JSON.parse(res.body || '{}') as { access_token?: string }).access_token;
        if (token) issuedTokens.push(token);
      }
      return res;
    },
    close: () => inner.close(),
  };
}

beforeAll(async () => {
  [h, sim] = await Promise.all([startHarness('api-secrets', { oktaHttp: recordingHttp() }), startOktaSim({ orgs: 1, users: 3, groups: 2, apps: 1, logs: 2, rateLimits: 'unlimited' })]);
});

afterAll(async () => {
  await h?.close();
  await sim?.close();
});

describe('secrets never reach logs or responses', () => {
  it('through onboarding, verify, sync requests and their error paths', async () => {
    const org = sim.orgs[0]!;
    const steps: [string, Parameters<ApiHarness['call']>[0], number][] = [
      ['secret tenant', { method: 'PUT', url: '/v1/tenants/s1', payload: { oktaDomain: org.domain, clientId: org.clientId, clientSecret: org.clientSecret } }, 201],
      [
        'key tenant',
        { method: 'PUT', url: '/v1/tenants/k1', payload: { oktaDomain: org.domain, clientId: org.privateKeyClientId, privateKeyPem: org.privateKeyPem, keyId: org.keyId } },
        201,
      ],
      ['update', { method: 'PUT', url: '/v1/tenants/s1', payload: { oktaDomain: org.domain, clientId: org.clientId, clientSecret: org.clientSecret, dpop: false } }, 200],
      ['verify secret', { method: 'POST', url: '/v1/tenants/s1/verify' }, 200],
      ['verify key', { method: 'POST', url: '/v1/tenants/k1/verify' }, 200],
      ['get', { method: 'GET', url: '/v1/tenants/s1' }, 200],
      ['get key', { method: 'GET', url: '/v1/tenants/k1' }, 200],
      ['sync', { method: 'POST', url: '/v1/tenants/s1/syncs', payload: { resources: ['users', 'groups'] }, headers: { 'idempotency-key': 'a' } }, 202],
      ['sync replay', { method: 'POST', url: '/v1/tenants/s1/syncs', payload: { resources: ['users', 'groups'] }, headers: { 'idempotency-key': 'a' } }, 202],
      ['sync key', { method: 'POST', url: '/v1/tenants/k1/syncs', payload: { resources: ['apps'] } }, 202],
      ['runs', { method: 'GET', url: '/v1/tenants/s1/runs' }, 200],
      ['bad domain', { method: 'PUT', url: '/v1/tenants/x1', payload: { oktaDomain: '169.254.169.254', clientId: 'abc', clientSecret: org.clientSecret } }, 400],
      ['unknown field', { method: 'PUT', url: '/v1/tenants/x1', payload: { oktaDomain: org.domain, clientId: 'abc', clientSecret: org.clientSecret, secret2: org.clientSecret } }, 400],
      ['secret too long', { method: 'PUT', url: '/v1/tenants/x1', payload: { oktaDomain: org.domain, clientId: 'abc', clientSecret: org.clientSecret.repeat(200) } }, 400],
      [
        'broken json',
        { method: 'PUT', url: '/v1/tenants/x1', headers: { 'content-type': 'application/json' }, payload: `{"clientSecret":"${org.clientSecret}",` },
        400,
      ],
      ['wrong secret', { method: 'PUT', url: '/v1/tenants/w1', payload: { oktaDomain: org.domain, clientId: org.clientId, clientSecret: `${org.clientSecret}-wrong` } }, 201],
      ['verify wrong', { method: 'POST', url: '/v1/tenants/w1/verify' }, 200],
      ['wrong api key', { method: 'GET', url: '/v1/tenants/s1', key: `${KEY}-nope` }, 401],
      ['browser login', { method: 'GET', url: `/admin/queues?key=${KEY2}`, key: null }, 200],
      ['remove', { method: 'DELETE', url: '/v1/tenants/k1?purgeData=true' }, 204],
    ];
    for (const [name, request, status] of steps) {
      const res = await h.call(request);
      expect(res.statusCode, name).toBe(status);
    }
    expect(json<{ ok: boolean }>(await h.call({ method: 'POST', url: '/v1/tenants/s1/verify' })).ok).toBe(true);

    const logs = h.logs.join('');
    const responses = h.responses.join('\n');
    // The capture works: the flow's log lines are there.
    for (const msg of ['tenant saved', 'tenant verified', 'sync requested', 'tenant removed', '"route":"/v1/tenants/:tenantId"']) expect(logs).toContain(msg);
    expect(issuedTokens.length).toBeGreaterThanOrEqual(3);

    const pemBody = org.privateKeyPem
      .split('\n')
      .filter((line) => line.length > 0 && !line.startsWith('-----'));
    const secrets: [string, string][] = [
      ['client secret', org.clientSecret],
      ['wrong client secret', `${org.clientSecret}-wrong`],
      ['API key', KEY],
      ['second API key', KEY2],
      ...pemBody.map((line, i): [string, string] => [`private key line ${i}`, line]),
      ...issuedTokens.flatMap((t, i): [string, string][] => [
        [`access token ${i}`, t],
        // Its signature part alone, in case a token were ever logged in pieces.
        [`access token ${i} signature`, t.split('.')[2] ?? t],
      ]),
    ];
    for (const [what, secret] of secrets) {
      expect(logs.includes(secret), `${what} in the logs`).toBe(false);
      expect(responses.includes(secret), `${what} in a response`).toBe(false);
    }
    expect(logs).not.toMatch(/BEGIN (RSA |EC )?PRIVATE KEY|access_token|authorization":"Bearer/i);
  });
});
