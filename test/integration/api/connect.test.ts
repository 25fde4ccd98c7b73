import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OktaSim, startOktaSim } from '../../../src/okta-sim/index.js';
import { createConnectLink, hashToken, MAX_CONNECT_ATTEMPTS } from '../../../src/producer/connect/connect-links.js';
import type { TenantConnected } from '../../../src/producer/connect/connect-submit.js';
import { asTenantId } from '../../../src/shared/ids.js';
import { type ApiHarness, json, startHarness } from './api-harness.js';

/**
 * Issue 19 at the HTTP level: connect links, the customer's page and every error path, against
 * the simulator over real HTTP (the browser walk-through is test/e2e/connect-browser.test.ts).
 */
const PUBLIC = 'https://sync.example.com/base';
const RETURN = 'https://app.example.com';
let h: ApiHarness;
let sim: OktaSim;
const connected: TenantConnected[] = [];

beforeAll(async () => {
  [h, sim] = await Promise.all([
    startHarness('api-connect', {
      env: { OKTA_SYNC_PUBLIC_URL: `${PUBLIC}/`, OKTA_SYNC_CONNECT_RETURN_ALLOW: RETURN },
      onTenantConnected: async (event) => {
        connected.push(event);
      },
    }),
    startOktaSim({ orgs: 2, users: 5, groups: 3, apps: 2, logs: 5, rateLimits: 'unlimited' }),
  ]);
});

afterAll(async () => {
  await h?.close();
  await sim?.close();
});

async function newLink(tenantId: string, body: Record<string, unknown> = {}): Promise<{ path: string; token: string; expiresAt: string }> {
  const res = await h.call({ method: 'POST', url: `/v1/tenants/${tenantId}/connect-links`, payload: body });
  expect(res.statusCode, res.body).toBe(201);
  const { url, expiresAt } = json<{ url: string; expiresAt: string }>(res);
  expect(url.startsWith(`${PUBLIC}/connect/`)).toBe(true);
  const token = url.slice(`${PUBLIC}/connect/`.length);
  return { path: `/connect/${token}`, token, expiresAt };
}

async function open(path: string): Promise<{ res: LightMyRequestResponse; formToken: string }> {
  const res = await h.call({ method: 'GET', url: path, key: null });
  return { res, formToken: /name="formToken" value="([^"]+)"/.exec(res.body)?.[1] ?? '' };
}

async function submit(path: string, fields: Record<string, string>): Promise<LightMyRequestResponse> {
  return h.call({
    method: 'POST',
    url: path,
    key: null,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams(fields).toString(),
  });
}

/** Opens the page, then submits its form with these values. */
async function connect(path: string, values: Record<string, string>): Promise<LightMyRequestResponse> {
  const { formToken } = await open(path);
  expect(formToken).not.toBe('');
  return submit(path, { formToken, ...values });
}

const creds = (i = 0) => ({ oktaDomain: sim.orgs[i]!.domain, clientId: sim.orgs[i]!.clientId, clientSecret: sim.orgs[i]!.clientSecret });
const text = (res: LightMyRequestResponse) => res.body.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');

describe('POST /v1/tenants/{id}/connect-links', () => {
  it('answers the URL once, stores only the hash, defaults to 7 days', async () => {
    const before = Date.now();
    const { token, expiresAt } = await newLink('acme');
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const days = (Date.parse(expiresAt) - before) / 86_400_000;
    expect(days).toBeGreaterThan(6.99);
    expect(days).toBeLessThan(7.01);
    const stored = await h.store.getConnectLink(hashToken(token));
    expect(stored).toMatchObject({ tenantId: 'acme', attempts: 0, usedAt: null, returnUrl: null });
    expect(JSON.stringify(stored)).not.toContain(token);
  });

  it('400 naming the field for a bad lifetime or a returnUrl outside the allow-list; 401 without the key', async () => {
    for (const [body, field] of [
      [{ expiresInMinutes: 0 }, 'expiresInMinutes'],
      [{ expiresInMinutes: 43_201 }, 'expiresInMinutes'],
      [{ returnUrl: 'https://evil.example.net/x' }, 'returnUrl'],
      [{ returnUrl: 'javascript:alert(1)' }, 'returnUrl'],
      [{ returnUrl: 'https://user@app.example.com/' }, 'returnUrl'],
      [{ other: 1 }, 'other'],
    ] as const) {
      const res = await h.call({ method: 'POST', url: '/v1/tenants/acme/connect-links', payload: body });
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(Object.keys(json<{ error: { fields: Record<string, string> } }>(res).error.fields)).toEqual([field]);
    }
    expect((await h.call({ method: 'POST', url: '/v1/tenants/acme/connect-links', payload: {}, key: null })).statusCode).toBe(401);
    expect((await h.call({ method: 'POST', url: '/v1/tenants/bad id/connect-links', payload: {} })).statusCode).toBe(400);
  });

  it('without OKTA_SYNC_PUBLIC_URL the link is built from the request that made it', async () => {
    const plain = await startHarness('api-connect-host');
    try {
      const res = await plain.call({ method: 'POST', url: '/v1/tenants/acme/connect-links', payload: {}, headers: { host: 'api.internal:8080' } });
      expect(json<{ url: string }>(res).url).toMatch(/^http:\/\/api\.internal:8080\/connect\/[A-Za-z0-9_-]{43}$/);
    } finally {
      await plain.close();
    }
  });
});

describe('GET /connect/{token}', () => {
  it('an accessible form with the scopes a new tenant needs, behind strict headers', async () => {
    const { path } = await newLink('fresh');
    const { res, formToken } = await open(path);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/style-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(csp).toMatch(/form-action 'self'(;|$)/);
    expect(csp).toMatch(/frame-ancestors 'none'/);
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toMatch(/<html lang="en">/);
    expect(res.body).toMatch(/<fieldset>\s*<legend>Okta credentials<\/legend>/);
    for (const id of ['oktaDomain', 'clientId', 'clientSecret']) {
      expect(res.body).toContain(`<label for="${id}">`);
      expect(res.body).toContain(`id="${id}" name="${id}"`);
    }
    expect(res.body).toContain('type="password"');
    expect(res.body).not.toMatch(/<script|onclick|javascript:/i);
    expect(formToken).toMatch(/^\d+\.[A-Za-z0-9_-]+$/);
    for (const scope of ['okta.users.read', 'okta.groups.read', 'okta.apps.read', 'okta.logs.read']) expect(text(res)).toContain(scope);
  });

  it('an existing tenant asks for its own scopes only', async () => {
    const put = await h.call({ method: 'PUT', url: '/v1/tenants/narrow', payload: { ...creds(0), clientSecret: 'old-secret', scopes: ['okta.users.read'] } });
    expect(put.statusCode).toBe(201);
    const { res } = await open((await newLink('narrow')).path);
    expect(text(res)).toContain('okta.users.read');
    expect(text(res)).not.toContain('okta.apps.read');
  });

  it('404 for an unknown or malformed token, without a bearer key being asked for', async () => {
    for (const token of ['x'.repeat(43), 'short', '%3Cscript%3E']) {
      const { res } = await open(`/connect/${token}`);
      expect(res.statusCode).toBe(404);
      expect(text(res)).toContain('This connect link is not valid');
      expect(res.body).not.toContain('<script>');
    }
  });
});

describe('POST /connect/{token}', () => {
  it('good credentials: verified, stored encrypted, the link used (410 after), tenant.connected sent', async () => {
    const { path, token } = await newLink('good');
    const res = await connect(path, creds(0));
    expect(res.statusCode, text(res)).toBe(200);
    expect(text(res)).toContain('Okta org connected');
    expect(text(res)).toContain('everything was verified');
    for (const scope of ['okta.users.read', 'okta.groups.read', 'okta.apps.read', 'okta.logs.read']) expect(text(res)).toContain(`${scope} granted`);
    const tenant = json(await h.call({ method: 'GET', url: '/v1/tenants/good' }));
    expect(tenant).toMatchObject({ tenantId: 'good', oktaDomain: sim.orgs[0]!.domain, status: 'active', auth: { method: 'client_secret', clientId: sim.orgs[0]!.clientId } });
    expect(JSON.stringify(tenant)).not.toContain(sim.orgs[0]!.clientSecret);
    const stored = await h.store.getTenant(asTenantId('good'));
    expect(stored?.auth.credential).not.toContain(sim.orgs[0]!.clientSecret);
    expect((await h.store.getConnectLink(hashToken(token)))?.usedAt).not.toBeNull();
    expect(connected).toContainEqual({ tenantId: 'good', ok: true, grantedScopes: ['okta.apps.read', 'okta.groups.read', 'okta.logs.read', 'okta.users.read'] });

    const again = await submit(path, { formToken: 'x', ...creds(0) });
    expect(again.statusCode).toBe(410);
    expect(text(again)).toContain('already been used');
    expect((await open(path)).res.statusCode).toBe(410);
    // The verify API agrees with what the page showed.
    expect(json(await h.call({ method: 'POST', url: '/v1/tenants/good/verify' }))).toMatchObject({ ok: true });
  });

  it('a wrong secret: one clear message, nothing stored, the form keeps domain and client ID but never the secret, the link still usable', async () => {
    const { path } = await newLink('typo');
    const res = await connect(path, { ...creds(0), clientSecret: 'not-the-secret-7f3a' });
    expect(res.statusCode).toBe(422);
    expect(text(res)).toContain('Okta refused the client ID and client secret');
    expect(text(res)).toContain(`${MAX_CONNECT_ATTEMPTS - 1} attempts left`);
    expect(res.body).toContain(`value="${sim.orgs[0]!.domain}"`);
    expect(res.body).toContain(`value="${sim.orgs[0]!.clientId}"`);
    expect(res.body).not.toContain('not-the-secret-7f3a');
    expect(await h.store.getTenant(asTenantId('typo'))).toBeUndefined();
    const fixed = await connect(path, creds(0));
    expect(fixed.statusCode).toBe(200);
    expect((await h.store.getTenant(asTenantId('typo')))?.status).toBe('active');
  });

  it('hostile or wrong domains are refused before any request, with the reason; an unreachable org says so', async () => {
    const { path } = await newLink('hostile');
    for (const oktaDomain of ['169.254.169.254', 'evil.example.com', 'acme.okta.com@evil.com', 'https://acme.okta.com/x', 'localhost', '[::1]:80']) {
      const res = await connect(path, { ...creds(0), oktaDomain });
      expect(res.statusCode, oktaDomain).toBe(400);
      expect(text(res)).toMatch(/The Okta domain (must|is)/);
      expect(res.body).toContain('aria-invalid="true"');
    }
    const xss = await connect(path, { oktaDomain: '"><script>alert(1)</script>', clientId: '<img src=x onerror=alert(1)>', clientSecret: 's' });
    expect(xss.statusCode).toBe(400);
    expect(xss.body).not.toMatch(/<script>|<img/);
    expect(xss.body).toContain('value="&#34;&#62;&#60;script&#62;alert(1)&#60;/script&#62;"');
    const down = await connect(path, { ...creds(0), oktaDomain: '127.0.0.1:1' });
    expect(down.statusCode).toBe(422);
    expect(text(down)).toContain('Could not reach 127.0.0.1:1');
    expect(await h.store.getTenant(asTenantId('hostile'))).toBeUndefined();
  });

  it('too many attempts: the tenth is the last, then 429 pages, nothing stored', async () => {
    const { path, token } = await newLink('brute');
    for (let i = 1; i <= MAX_CONNECT_ATTEMPTS; i++) {
      const res = await connect(path, { ...creds(0), oktaDomain: 'evil.example.com' });
      expect(res.statusCode).toBe(400);
      if (i === MAX_CONNECT_ATTEMPTS) expect(text(res)).toContain('This was the last attempt');
    }
    const { res, formToken } = await open(path);
    expect(res.statusCode).toBe(429);
    expect(text(res)).toContain('Too many attempts');
    expect(formToken).toBe('');
    const late = await submit(path, { formToken: 'x', ...creds(0) });
    expect(late.statusCode).toBe(429);
    expect((await h.store.getConnectLink(hashToken(token)))?.attempts).toBe(MAX_CONNECT_ATTEMPTS);
    expect(await h.store.getTenant(asTenantId('brute'))).toBeUndefined();
  });

  it('an expired link answers 410 on GET and POST', async () => {
    const past = new Date(Date.now() - 2 * 3600_000);
    const { url } = await createConnectLink({ store: h.store, baseUrl: PUBLIC, returnAllow: [], now: () => past }, asTenantId('late'), { expiresInMinutes: 60 });
    const path = url.slice(PUBLIC.length);
    const got = await open(path);
    expect(got.res.statusCode).toBe(410);
    expect(text(got.res)).toContain('This connect link expired');
    expect((await submit(path, { formToken: 'x', ...creds(0) })).statusCode).toBe(410);
    expect(await h.store.getTenant(asTenantId('late'))).toBeUndefined();
  });

  it('a missing, forged, stale or other link\'s form token is refused (403) without counting an attempt', async () => {
    const { path, token } = await newLink('csrf');
    const other = await open((await newLink('csrf-other')).path);
    const stale = `${Date.now() - 3 * 3600_000}.${'A'.repeat(43)}`;
    for (const formToken of [undefined, '', 'forged', other.formToken, stale]) {
      const res = await submit(path, { ...(formToken === undefined ? {} : { formToken }), ...creds(0) });
      expect(res.statusCode, String(formToken)).toBe(403);
      expect(text(res)).toContain('This form expired or was not sent from this page');
      expect(res.body).toMatch(/name="formToken" value="\d+\./);
    }
    expect((await h.store.getConnectLink(hashToken(token)))?.attempts).toBe(0);
    expect(await h.store.getTenant(asTenantId('csrf'))).toBeUndefined();
  });

  it('only form bodies: JSON is 415 as an HTML page; a huge body 413', async () => {
    const { path } = await newLink('types');
    const asJson = await h.call({ method: 'POST', url: path, key: null, payload: creds(0) });
    expect(asJson.statusCode).toBe(415);
    expect(asJson.headers['content-type']).toMatch(/^text\/html/);
    expect(asJson.headers['x-frame-options']).toBe('DENY');
    const huge = await submit(path, { formToken: 'x', oktaDomain: 'a'.repeat(20_000), clientId: 'c', clientSecret: 's' });
    expect(huge.statusCode).toBe(413);
  });

  it('partly granted scopes: connected, with what is missing and how to fix it in the Admin Console', async () => {
    const org = sim.orgs[1]!;
    const set = await fetch(`${org.baseUrl}/__sim/clients`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ clientId: org.clientId, grantedScopes: ['okta.users.read', 'okta.groups.read'] }),
    });
    expect(set.status).toBe(200);
    const res = await connect((await newLink('partial', { returnUrl: `${RETURN}/done?x=<1>` })).path, creds(1));
    expect(res.statusCode).toBe(200);
    expect(String(res.headers['content-security-policy'])).toContain(`form-action 'self' ${RETURN};`);
    const t = text(res);
    expect(t).toContain('some data cannot be read yet');
    expect(t).toContain('okta.apps.read not granted');
    expect(t).toContain('okta.logs.read not granted');
    expect(t).toMatch(/Okta did not grant okta\.apps\.read\. In Admin Console › Applications › API Service Integrations/);
    expect(t).toContain('Users: readable');
    expect(res.body).toContain(`<a href="${RETURN}/done?x=%3C1%3E">Continue</a>`);
    expect((await h.store.getTenant(asTenantId('partial')))?.scopes).toEqual(['okta.apps.read', 'okta.groups.read', 'okta.logs.read', 'okta.users.read']);
  });

  it('everything verified with a returnUrl: 303 to it', async () => {
    const res = await connect((await newLink('back', { returnUrl: `${RETURN}/welcome` })).path, creds(0));
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`${RETURN}/welcome`);
  });

  it('an org whose app requires DPoP is connected with DPoP on', async () => {
    const org = sim.orgs[0]!;
    const res = await connect((await newLink('dpop')).path, { oktaDomain: org.domain, clientId: org.dpopClientId, clientSecret: org.dpopClientSecret });
    expect(res.statusCode, text(res)).toBe(200);
    expect((await h.store.getTenant(asTenantId('dpop')))?.auth.dpop).toBe(true);
  });

  it('zero users (no admin role) is connected with the Read-Only Administrator fix', async () => {
    const empty = await startOktaSim({ orgs: 1, users: 0, groups: 1, apps: 1, logs: 1, rateLimits: 'unlimited' });
    try {
      const org = empty.orgs[0]!;
      const res = await connect((await newLink('norole')).path, { oktaDomain: org.domain, clientId: org.clientId, clientSecret: org.clientSecret });
      expect(res.statusCode).toBe(200);
      expect(text(res)).toMatch(/Okta returned no users\. .*Read-Only Administrator role \(Admin Console › Security › Administrators/);
    } finally {
      await empty.close();
    }
  });

  it('two submits racing on one link: one connects, the other gets 410', async () => {
    const { path } = await newLink('race');
    const { formToken } = await open(path);
    const results = await Promise.all([submit(path, { formToken, ...creds(0) }), submit(path, { formToken, ...creds(0) })]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 410]);
    expect(connected.filter((c) => c.tenantId === 'race')).toHaveLength(1);
  });

  it('the OpenAPI document lists connect-links, not the HTML page', async () => {
    const doc = json<{ paths: Record<string, unknown> }>(await h.call({ method: 'GET', url: '/openapi.json' }));
    expect(doc.paths).toHaveProperty(['/v1/tenants/{tenantId}/connect-links']);
    expect(Object.keys(doc.paths).some((p) => p.startsWith('/connect'))).toBe(false);
  });

  it('no secret in any log line or response', () => {
    const all = [...h.logs, ...h.responses].join('\n');
    for (const org of sim.orgs) {
      expect(all).not.toContain(org.clientSecret);
      expect(all).not.toContain(org.dpopClientSecret);
    }
    expect(all).not.toContain('not-the-secret-7f3a');
  });
});
