import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asRunId, asTenantId } from '../../../src/shared/ids.js';
import { scheduleId } from '../../../src/shared/jobs.js';
import { keyPrefix } from '../../../src/shared/redis.js';
import { type ApiHarness, json, startHarness, tenantBody } from './api-harness.js';

let h: ApiHarness;
let strict: ApiHarness;

beforeAll(async () => {
  [h, strict] = await Promise.all([
    startHarness('api-tenants'),
    startHarness('api-tenants-strict', { env: { OKTA_SYNC_ALLOW_INSECURE_LOOPBACK: 'false', OKTA_SYNC_CUSTOM_DOMAINS: 'login.acme.example' } }),
  ]);
});

afterAll(async () => {
  await Promise.all([h?.close(), strict?.close()]);
});

type TenantView = { tenantId: string; oktaDomain: string; auth: Record<string, unknown>; scopes: string[]; status: string };

describe('PUT/GET /v1/tenants/{id}', () => {
  it('creates (201) then updates (200) and never returns the secret', async () => {
    const created = await h.call({ method: 'PUT', url: '/v1/tenants/t1', payload: tenantBody({ scopes: ['okta.users.read'] }) });
    expect(created.statusCode).toBe(201);
    expect(created.headers.location).toBe('/v1/tenants/t1');
    const body = json<TenantView>(created);
    expect(body).toMatchObject({ tenantId: 't1', oktaDomain: 'acme.okta.com', scopes: ['okta.users.read'], status: 'active' });
    expect(body.auth).toEqual({ method: 'client_secret', clientId: '0oa1abcdefGHIJKLM', dpop: false });
    const updated = await h.call({ method: 'PUT', url: '/v1/tenants/t1', payload: tenantBody({ oktaDomain: 'ACME.oktapreview.com' }) });
    expect(updated.statusCode).toBe(200);
    expect(json<TenantView>(updated).oktaDomain).toBe('acme.oktapreview.com');
    const got = await h.call({ method: 'GET', url: '/v1/tenants/t1' });
    expect(got.statusCode).toBe(200);
    expect(json<TenantView>(got).scopes.length).toBeGreaterThan(1);
    for (const res of [created, updated, got]) expect(res.body).not.toContain('super-secret-value-xyz');
    // Stored encrypted, bound to the tenant.
    const stored = await h.store.getTenant(asTenantId('t1'));
    expect(stored?.auth.credential).toMatch(/^v1\./);
    expect(stored?.auth.credential).not.toContain('super-secret');
  });

  it('takes a private key with its kid instead of a secret', async () => {
    const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const res = await h.call({ method: 'PUT', url: '/v1/tenants/t2', payload: { oktaDomain: 'acme.okta.com', clientId: 'abc', privateKeyPem: pem, keyId: 'kid-1' } });
    expect(res.statusCode).toBe(201);
    expect(json<TenantView>(res).auth).toEqual({ method: 'private_key_jwt', clientId: 'abc', keyId: 'kid-1', dpop: false });
    expect(res.body).not.toContain(pem.split('\n')[1]);
    const pkcs1 = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    const ed = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const broken = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n';
    for (const privateKeyPem of [pkcs1, ed, broken]) {
      const bad = await h.call({ method: 'PUT', url: '/v1/tenants/t3', payload: { oktaDomain: 'acme.okta.com', clientId: 'abc', privateKeyPem, keyId: 'k' } });
      expect(bad.statusCode).toBe(400);
      expect(json<{ error: { fields: Record<string, string> } }>(bad).error.fields.privateKeyPem).toEqual(expect.any(String));
      expect(bad.body).not.toContain(privateKeyPem.split('\n')[1]);
    }
  });

  it.each([
    [{ clientSecret: undefined }, 'clientSecret'],
    [{ privateKeyPem: '-----BEGIN PRIVATE KEY-----' }, 'clientSecret'],
    [{ clientSecret: undefined, privateKeyPem: 'pem' }, 'keyId'],
    [{ clientSecret: undefined, privateKeyPem: 'pem', keyId: 'k' }, 'privateKeyPem'],
    [{ clientId: 'has space' }, 'clientId'],
    [{ scopes: ['users.read'] }, 'scopes'],
    [{ rateShare: 2 }, 'rateShare'],
    [{ dpop: 'yes' }, 'dpop'],
  ])('400 for %o', async (overrides, field) => {
    const res = await h.call({ method: 'PUT', url: '/v1/tenants/bad', payload: tenantBody(overrides) });
    expect(res.statusCode).toBe(400);
    expect(Object.keys(json<{ error: { fields: object } }>(res).error.fields)).toContain(field);
  });
});

describe('hostile Okta domains are refused with fields.oktaDomain', () => {
  const hostile = [
    '169.254.169.254',
    '169.254.169.254:80',
    '127.0.0.1',
    '127.0.0.1:8080',
    'localhost',
    'localhost:8080',
    '0.0.0.0:80',
    '2130706433',
    '0x7f000001',
    'http://acme.okta.com',
    'https://acme.okta.com',
    '//acme.okta.com',
    'user@acme.okta.com',
    'acme.okta.com@evil.com',
    'user:pass@acme.okta.com',
    'acme.okta.com/path',
    'evil.com/.okta.com',
    'evil.com\\.okta.com',
    'evil.com?.okta.com',
    'evil.com#.okta.com',
    'acme.okta.com:443',
    'acme.okta.com:8443',
    '[::1]',
    '::1',
    '[::ffff:a9fe:a9fe]',
    '[fd00::1]:443',
    'fe80::1%25eth0',
    'xn--okta-x8a.okta.com',
    'acme.xn--okta-x8a.com',
    'acme.оkta.com',
    'acme．okta．com',
    'acme.okta.com.evil.com',
    'acme-okta.com',
    'acmeokta.com',
    'okta.com',
    'a.b.okta.com',
    'evil.com',
    'acme.okta.com.',
    'acme.okta.com%2f',
    'acme.okta.com\u0000',
    '',
  ];
  it.each(hostile)('%j', async (oktaDomain) => {
    const res = await strict.call({ method: 'PUT', url: '/v1/tenants/hostile', payload: tenantBody({ oktaDomain }) });
    expect(res.statusCode).toBe(400);
    const body = json<{ error: { code: string; fields: Record<string, string> } }>(res);
    expect(body.error.code).toBe('bad_request');
    expect(body.error.fields.oktaDomain).toEqual(expect.any(String));
  });

  it('stores nothing for a refused domain', async () => {
    expect(await strict.store.getTenant(asTenantId('hostile'))).toBeUndefined();
  });

  it('accepts the Okta suffixes and the custom-domain allow-list', async () => {
    for (const oktaDomain of ['acme.okta.com', 'acme.oktapreview.com', 'acme.okta-emea.com', 'acme.okta-gov.com', 'acme.okta.mil', 'login.acme.example']) {
      const res = await strict.call({ method: 'PUT', url: '/v1/tenants/fine', payload: tenantBody({ oktaDomain }) });
      expect(res.statusCode, oktaDomain).toBeLessThan(300);
    }
  });

  it('accepts 127.0.0.1:PORT only with OKTA_SYNC_ALLOW_INSECURE_LOOPBACK', async () => {
    const res = await h.call({ method: 'PUT', url: '/v1/tenants/dev', payload: tenantBody({ oktaDomain: '127.0.0.1:8080' }) });
    expect(res.statusCode).toBe(201);
    for (const oktaDomain of ['169.254.169.254', '127.0.0.2:80', '127.0.0.1', '127.0.0.1:0', 'localhost:99999']) {
      const bad = await h.call({ method: 'PUT', url: '/v1/tenants/dev', payload: tenantBody({ oktaDomain }) });
      expect(bad.statusCode, oktaDomain).toBe(400);
    }
  });
});

describe('DELETE /v1/tenants/{id}', () => {
  async function seed(tenantId: string) {
    expect((await h.call({ method: 'PUT', url: `/v1/tenants/${tenantId}`, payload: tenantBody() })).statusCode).toBe(201);
    const sched = await h.call({ method: 'PUT', url: `/v1/tenants/${tenantId}/schedule`, payload: { users: { every: '15m' }, logs: { every: '1h' } } });
    expect(sched.statusCode).toBe(200);
    const sync = await h.call({ method: 'POST', url: `/v1/tenants/${tenantId}/syncs`, payload: { resources: ['users', 'groups'] } });
    expect(sync.statusCode).toBe(202);
    const runIds = json<{ runs: { runId: string }[] }>(sync).runs.map((r) => r.runId);
    const prefix = keyPrefix(h.config.queuePrefix);
    await h.redis.set(`${prefix}:token:${tenantId}:okta.users.read`, 'v1.cipher');
    await h.redis.set(`${prefix}:token:${tenantId}:okta.groups.read okta.users.read`, 'v1.cipher');
    const commit = await h.store.commitPage({
      tenantId: asTenantId(tenantId),
      runId: asRunId(runIds[0]!),
      type: 'user',
      pageKey: 'p0',
      objects: [{ oktaId: '00u1', data: { id: '00u1' }, oktaLastUpdated: null }],
      at: new Date().toISOString(),
    });
    expect(commit).toBe(true);
    return { runIds, prefix };
  }

  async function pendingJobsOf(tenantId: string) {
    const jobs = await h.queue.getJobs(['waiting', 'delayed', 'prioritized']);
    return jobs.filter((j) => (j.data as { tenantId?: string }).tenantId === tenantId && j.name === 'page');
  }

  it('removes schedules, pending jobs and cached tokens, cancels runs and keeps the data', async () => {
    const { runIds, prefix } = await seed('gone');
    await seed('gone2');
    expect(await pendingJobsOf('gone')).toHaveLength(2);
    const res = await h.call({ method: 'DELETE', url: '/v1/tenants/gone' });
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    expect((await h.call({ method: 'GET', url: '/v1/tenants/gone' })).statusCode).toBe(404);
    const schedulers = (await h.queue.getJobSchedulers()).map((s) => s.key);
    expect(schedulers).not.toContain(scheduleId('gone', 'users'));
    expect(schedulers).toContain(scheduleId('gone2', 'users'));
    expect(await pendingJobsOf('gone')).toHaveLength(0);
    expect(await pendingJobsOf('gone2')).toHaveLength(2);
    expect(await h.redis.keys(`${prefix}:token:gone:*`)).toEqual([]);
    expect(await h.redis.keys(`${prefix}:token:gone2:*`)).toHaveLength(2);
    for (const runId of runIds) expect((await h.store.getRun(asRunId(runId)))?.status).toBe('cancelled');
    // Kept data stays readable.
    const objects = await h.call({ method: 'GET', url: '/v1/tenants/gone/objects/users' });
    expect(objects.statusCode).toBe(200);
    expect(json<{ items: unknown[] }>(objects).items).toHaveLength(1);
    expect((await h.call({ method: 'DELETE', url: '/v1/tenants/gone' })).statusCode).toBe(404);
  });

  it('with purgeData=true also deletes objects, runs and sync state', async () => {
    const res = await h.call({ method: 'DELETE', url: '/v1/tenants/gone2?purgeData=true' });
    expect(res.statusCode).toBe(204);
    expect(await h.store.countObjects({ tenantId: asTenantId('gone2'), type: 'user' })).toBe(0);
    expect(await h.store.listRuns({ tenantId: asTenantId('gone2'), limit: 10 })).toEqual([]);
    expect((await h.call({ method: 'GET', url: '/v1/tenants/gone2/objects/users' })).statusCode).toBe(404);
    expect((await h.call({ method: 'GET', url: '/v1/tenants/gone2/runs' })).statusCode).toBe(404);
    const schedulers = (await h.queue.getJobSchedulers()).map((s) => s.key);
    expect(schedulers.filter((k) => k.includes('gone'))).toEqual([]);
    expect(await pendingJobsOf('gone2')).toHaveLength(0);
  });
});
