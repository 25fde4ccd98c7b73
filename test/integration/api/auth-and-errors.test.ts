import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SESSION_COOKIE } from '../../../src/producer/api/api-auth.js';
import { type ApiHarness, json, KEY, KEY2, startHarness, tenantBody } from './api-harness.js';

let h: ApiHarness;

beforeAll(async () => {
  h = await startHarness('api-auth');
  const put = await h.call({ method: 'PUT', url: '/v1/tenants/acme', payload: tenantBody() });
  expect(put.statusCode).toBe(201);
});

afterAll(async () => {
  await h?.close();
});

/** Every route of the API behind the bearer key, with a valid request shape. */
const PROTECTED: { method: 'GET' | 'PUT' | 'POST' | 'DELETE'; url: string; payload?: object }[] = [
  { method: 'PUT', url: '/v1/tenants/acme', payload: tenantBody() },
  { method: 'GET', url: '/v1/tenants/acme' },
  { method: 'DELETE', url: '/v1/tenants/acme' },
  { method: 'POST', url: '/v1/tenants/acme/verify' },
  { method: 'POST', url: '/v1/tenants/acme/syncs', payload: { resources: ['users'] } },
  { method: 'GET', url: '/v1/runs/run_x' },
  { method: 'GET', url: '/v1/tenants/acme/runs' },
  { method: 'PUT', url: '/v1/tenants/acme/schedule', payload: { users: { every: '15m' } } },
  { method: 'GET', url: '/v1/tenants/acme/schedule' },
  { method: 'GET', url: '/v1/tenants/acme/objects/users' },
  { method: 'GET', url: '/metrics' },
  { method: 'GET', url: '/openapi.json' },
  { method: 'GET', url: '/docs' },
  { method: 'GET', url: '/admin/queues' },
  { method: 'GET', url: '/admin/queues/api/queues' },
  { method: 'GET', url: '/no/such/route' },
];

describe('bearer auth', () => {
  it.each(PROTECTED)('$method $url: 401 without a key, with a wrong key, and with a malformed header', async (route) => {
    for (const headers of [{}, { authorization: 'Bearer wrong-key' }, { authorization: `Basic ${KEY}` }, { authorization: `Bearer ${KEY}x` }]) {
      const res = await h.app.inject({ method: route.method, url: route.url, headers, ...(route.payload ? { payload: route.payload } : {}) });
      expect(res.statusCode).toBe(401);
      expect(json(res)).toEqual({ error: { code: 'unauthorized', message: 'missing or invalid API key' } });
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    }
  });

  it('accepts every configured key, case-insensitive scheme', async () => {
    for (const authorization of [`Bearer ${KEY}`, `bearer ${KEY2}`]) {
      const res = await h.app.inject({ method: 'GET', url: '/v1/tenants/acme', headers: { authorization } });
      expect(res.statusCode).toBe(200);
    }
  });

  it('serves /healthz and /readyz without a key', async () => {
    const health = await h.call({ method: 'GET', url: '/healthz', key: null });
    expect([health.statusCode, json(health)]).toEqual([200, { status: 'ok' }]);
    const ready = await h.call({ method: 'GET', url: '/readyz', key: null });
    expect([ready.statusCode, json(ready)]).toEqual([200, { status: 'ready' }]);
  });

  it('serves /metrics with the key', async () => {
    const res = await h.call({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toContain('okta_sync_test');
  });

  it('lets a browser in with ?key= once: a session cookie, and the key leaves the URL', async () => {
    const wrong = await h.call({ method: 'GET', url: '/admin/queues?key=nope', key: null });
    expect(wrong.statusCode).toBe(401);
    const login = await h.call({ method: 'GET', url: `/admin/queues?key=${KEY}&x=1`, key: null });
    expect(login.statusCode).toBe(200);
    const setCookie = String(login.headers['set-cookie']);
    expect(setCookie).toMatch(new RegExp(`^${SESSION_COOKIE}=[A-Za-z0-9_-]+; HttpOnly; SameSite=Strict; Path=/; Max-Age=\\d+$`));
    expect(setCookie).not.toContain(KEY);
    expect(login.body).toContain('url=/admin/queues?x=1');
    expect(login.body).not.toContain(KEY);
    const cookie = setCookie.split(';')[0]!;
    const board = await h.call({ method: 'GET', url: '/admin/queues', key: null, headers: { cookie } });
    expect(board.statusCode).toBe(200);
    expect(board.headers['content-type']).toMatch(/text\/html/);
    const api = await h.call({ method: 'GET', url: '/admin/queues/api/queues', key: null, headers: { cookie } });
    expect(api.statusCode).toBe(200);
    const docs = await h.call({ method: 'GET', url: '/openapi.json', key: null, headers: { cookie } });
    expect(docs.statusCode).toBe(200);
    // The cookie is for the browser pages only: the API itself wants the bearer key.
    const tenant = await h.call({ method: 'GET', url: '/v1/tenants/acme', key: null, headers: { cookie } });
    expect(tenant.statusCode).toBe(401);
    const forged = await h.call({ method: 'GET', url: '/admin/queues', key: null, headers: { cookie: `${SESSION_COOKIE}=${KEY}` } });
    expect(forged.statusCode).toBe(401);
    // ?key= is not accepted on API routes.
    const viaQuery = await h.call({ method: 'GET', url: `/v1/tenants/acme?key=${KEY}`, key: null });
    expect(viaQuery.statusCode).toBe(401);
  });
});

describe('errors are JSON everywhere', () => {
  it('404 for an unknown route, tenant and run', async () => {
    for (const url of ['/nope', '/v1/tenants/ghost', '/v1/runs/run_ghost', '/v1/tenants/ghost/runs', '/v1/tenants/ghost/schedule']) {
      const res = await h.call({ method: 'GET', url });
      expect(res.statusCode, url).toBe(404);
      expect(json<{ error: { code: string } }>(res).error.code).toBe('not_found');
    }
  });

  it('413 for a body over 1 MB', async () => {
    const res = await h.call({ method: 'PUT', url: '/v1/tenants/big', payload: tenantBody({ clientSecret: 'x'.repeat(1_100_000) }) });
    expect(res.statusCode).toBe(413);
    expect(json(res)).toEqual({ error: { code: 'payload_too_large', message: 'request body exceeds 1 MB' } });
  });

  it('400 for malformed JSON without quoting the body back', async () => {
    const res = await h.call({
      method: 'PUT',
      url: '/v1/tenants/acme',
      headers: { 'content-type': 'application/json' },
      payload: '{"clientSecret": "leaky-secret-in-bad-json", oops}',
    });
    expect(res.statusCode).toBe(400);
    expect(json(res)).toEqual({ error: { code: 'bad_request', message: 'request body is not valid JSON' } });
    expect(h.logs.join('')).not.toContain('leaky-secret-in-bad-json');
  });

  it('415 for a body that is not JSON', async () => {
    const res = await h.call({ method: 'PUT', url: '/v1/tenants/acme', headers: { 'content-type': 'application/xml' }, payload: '<a/>' });
    expect(res.statusCode).toBe(415);
    expect(json<{ error: { code: string } }>(res).error.code).toBe('unsupported_media_type');
  });

  it('400 with field paths for bad bodies, params and queries', async () => {
    const cases: [string, string, object | undefined, string][] = [
      ['PUT', '/v1/tenants/acme', { clientSecret: 's' }, 'oktaDomain'],
      ['PUT', '/v1/tenants/acme', tenantBody({ extra: 1 }), 'extra'],
      ['PUT', '/v1/tenants/acme', tenantBody({ scopes: 'okta.users.read' }), 'scopes'],
      ['PUT', '/v1/tenants/bad!id', tenantBody(), 'tenantId'],
      ['POST', '/v1/tenants/acme/syncs', { resources: ['users', 'roles'] }, 'resources.1'],
      ['POST', '/v1/tenants/acme/syncs', { resources: [] }, 'resources'],
      ['POST', '/v1/tenants/acme/syncs', { resources: ['users'], mode: 'partial' }, 'mode'],
      ['GET', '/v1/tenants/acme/objects/roles', undefined, 'resource'],
      ['GET', '/v1/tenants/acme/objects/users?limit=0', undefined, 'limit'],
      ['GET', '/v1/tenants/acme/objects/users?limit=1001', undefined, 'limit'],
      ['GET', '/v1/tenants/acme/objects/users?after=%21%21', undefined, 'after'],
      ['GET', '/v1/tenants/acme/runs?limit=abc', undefined, 'limit'],
      ['DELETE', '/v1/tenants/acme?purgeData=yes', undefined, 'purgeData'],
    ];
    for (const [method, url, payload, field] of cases) {
      const res = await h.call({ method: method as 'GET', url, ...(payload ? { payload } : {}) });
      expect(res.statusCode, `${method} ${url}`).toBe(400);
      const body = json<{ error: { code: string; message: string; fields: Record<string, string> } }>(res);
      expect(body.error.code).toBe('bad_request');
      expect(Object.keys(body.error.fields), `${method} ${url}`).toContain(field);
    }
  });

  it('publishes an OpenAPI document generated from the route schemas', async () => {
    const res = await h.call({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = json<{ openapi: string; paths: Record<string, Record<string, { requestBody?: unknown }>> }>(res);
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/tenants/{tenantId}',
        '/v1/tenants/{tenantId}/verify',
        '/v1/tenants/{tenantId}/syncs',
        '/v1/runs/{runId}',
        '/v1/tenants/{tenantId}/runs',
        '/v1/tenants/{tenantId}/schedule',
        '/v1/tenants/{tenantId}/objects/{resource}',
        '/healthz',
        '/readyz',
      ]),
    );
    expect(doc.paths['/v1/tenants/{tenantId}']?.put?.requestBody).toBeDefined();
    expect(Object.keys(doc.paths).some((p) => p.startsWith('/admin/queues'))).toBe(false);
  });
});
