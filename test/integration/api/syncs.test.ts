import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asRunId, asTenantId } from '../../../src/shared/ids.js';
import { scheduleId } from '../../../src/shared/jobs.js';
import { keyPrefix } from '../../../src/shared/redis.js';
import { type ApiHarness, json, startHarness, tenantBody } from './api-harness.js';

let h: ApiHarness;

type Runs = { runs: { resource: string; runId: string; status: string; created: boolean }[] };

beforeAll(async () => {
  h = await startHarness('api-syncs');
  for (const id of ['acme', 'beta', 'objs']) {
    expect((await h.call({ method: 'PUT', url: `/v1/tenants/${id}`, payload: tenantBody() })).statusCode).toBe(201);
  }
});

afterAll(async () => {
  await h?.close();
});

describe('POST /v1/tenants/{id}/syncs', () => {
  it('starts one run per resource (202) and returns the active run on a second request', async () => {
    const first = await h.call({ method: 'POST', url: '/v1/tenants/acme/syncs', payload: { resources: ['users', 'groups', 'users'], mode: 'incremental' } });
    expect(first.statusCode).toBe(202);
    const runs = json<Runs>(first).runs;
    expect(runs.map((r) => [r.resource, r.status, r.created])).toEqual([
      ['users', 'queued', true],
      ['groups', 'queued', true],
    ]);
    const jobs = await h.queue.getJobs(['waiting']);
    expect(jobs.filter((j) => j.data.tenantId === 'acme').map((j) => j.data.runId).sort()).toEqual(runs.map((r) => r.runId).sort());
    const second = await h.call({ method: 'POST', url: '/v1/tenants/acme/syncs', payload: { resources: ['users', 'apps'] } });
    expect(second.statusCode).toBe(202);
    const again = json<Runs>(second).runs;
    expect(again[0]).toEqual({ ...runs[0], created: false });
    expect(again[1]).toMatchObject({ resource: 'apps', created: true });
    const run = await h.call({ method: 'GET', url: `/v1/runs/${runs[0]!.runId}` });
    expect(run.statusCode).toBe(200);
    expect(json(run)).toMatchObject({ runId: runs[0]!.runId, tenantId: 'acme', resource: 'users', mode: 'incremental', status: 'queued' });
    const list = await h.call({ method: 'GET', url: '/v1/tenants/acme/runs?limit=2' });
    expect(list.statusCode).toBe(200);
    expect(json<{ runs: unknown[] }>(list).runs).toHaveLength(2);
  });

  it('Idempotency-Key: a retry gets the same runs, even after they finished', async () => {
    const send = (key: string, resources: string[]) =>
      h.call({ method: 'POST', url: '/v1/tenants/beta/syncs', headers: { 'idempotency-key': key }, payload: { resources } });
    const first = await send('req-1', ['logs']);
    expect(first.statusCode).toBe(202);
    const [run] = json<Runs>(first).runs;
    await h.store.finishRun(asRunId(run!.runId), { status: 'succeeded', at: new Date().toISOString() });
    const retry = await send('req-1', ['logs']);
    expect(retry.statusCode).toBe(202);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(json(retry)).toEqual(json(first));
    // Without the key, the finished run does not hold back a new one.
    const fresh = await h.call({ method: 'POST', url: '/v1/tenants/beta/syncs', payload: { resources: ['logs'] } });
    expect(json<Runs>(fresh).runs[0]!.runId).not.toBe(run!.runId);
    // Same key, other body: a client bug, refused.
    const reused = await send('req-1', ['users']);
    expect(reused.statusCode).toBe(409);
    expect(json<{ error: { code: string } }>(reused).error.code).toBe('idempotency_key_reused');
    const stored = await h.redis.ttl(`${keyPrefix(h.config.queuePrefix)}:idem:beta:req-1`);
    expect(stored).toBeGreaterThan(23 * 3600);
    const bad = await h.call({ method: 'POST', url: '/v1/tenants/beta/syncs', headers: { 'idempotency-key': 'has space' }, payload: { resources: ['logs'] } });
    expect(bad.statusCode).toBe(400);
  });

  it('concurrent requests with one Idempotency-Key create one set of runs', async () => {
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        h.call({ method: 'POST', url: '/v1/tenants/beta/syncs', headers: { 'idempotency-key': 'burst' }, payload: { resources: ['apps'] } }),
      ),
    );
    const ids = new Set(results.map((r) => json<Runs>(r).runs[0]!.runId));
    expect(results.map((r) => r.statusCode)).toEqual([202, 202, 202, 202, 202]);
    expect(ids.size).toBe(1);
  });

  it('404 for an unknown tenant, 409 for a tenant whose credentials are invalid', async () => {
    expect((await h.call({ method: 'POST', url: '/v1/tenants/ghost/syncs', payload: { resources: ['users'] } })).statusCode).toBe(404);
    await h.store.setTenantStatus(asTenantId('objs'), 'credentials_invalid', new Date().toISOString());
    const res = await h.call({ method: 'POST', url: '/v1/tenants/objs/syncs', payload: { resources: ['users'] } });
    expect(res.statusCode).toBe(409);
    expect(json<{ error: { code: string } }>(res).error.code).toBe('tenant_not_active');
    await h.store.setTenantStatus(asTenantId('objs'), 'active', new Date().toISOString());
  });
});

describe('PUT /v1/tenants/{id}/schedule', () => {
  const schedulersOf = async (tenantId: string) =>
    Object.fromEntries(
      (await h.queue.getJobSchedulers())
        .filter((s) => s.key.startsWith(`schedule.${tenantId}.`))
        .map((s) => [s.key, { every: s.every, data: s.template?.data, name: s.name }]),
    );

  it('creates, replaces and removes BullMQ job schedulers', async () => {
    const created = await h.call({ method: 'PUT', url: '/v1/tenants/acme/schedule', payload: { users: { every: '15m', mode: 'incremental' }, logs: { every: '1m' } } });
    expect(created.statusCode).toBe(200);
    expect(json<{ schedules: Record<string, unknown> }>(created).schedules).toMatchObject({
      users: { every: '15m', everyMs: 900_000, mode: 'incremental' },
      logs: { every: '1m', everyMs: 60_000, mode: 'full' },
    });
    expect(await schedulersOf('acme')).toEqual({
      [scheduleId('acme', 'users')]: { every: 900_000, name: 'schedule', data: { tenantId: 'acme', resource: 'users', mode: 'incremental' } },
      [scheduleId('acme', 'logs')]: { every: 60_000, name: 'schedule', data: { tenantId: 'acme', resource: 'logs', mode: 'full' } },
    });
    const replaced = await h.call({ method: 'PUT', url: '/v1/tenants/acme/schedule', payload: { users: { every: '6h', mode: 'full' } } });
    expect(replaced.statusCode).toBe(200);
    const after = await schedulersOf('acme');
    expect(after[scheduleId('acme', 'users')]).toMatchObject({ every: 6 * 3_600_000, data: { mode: 'full' } });
    expect(after[scheduleId('acme', 'logs')]).toBeDefined();
    const removed = await h.call({ method: 'PUT', url: '/v1/tenants/acme/schedule', payload: { logs: null } });
    expect(Object.keys(json<{ schedules: object }>(removed).schedules)).toEqual(['users']);
    expect(Object.keys(await schedulersOf('acme'))).toEqual([scheduleId('acme', 'users')]);
    const got = await h.call({ method: 'GET', url: '/v1/tenants/acme/schedule' });
    expect(json<{ schedules: Record<string, { every: string }> }>(got).schedules.users?.every).toBe('6h');
  });

  it.each([
    [{ users: { every: '30s' } }, 'users.every'],
    [{ users: { every: '31d' } }, 'users.every'],
    [{ users: { every: '15 minutes' } }, 'users.every'],
    [{ users: { every: '0m' } }, 'users.every'],
    [{ users: { every: '15m', mode: 'sometimes' } }, 'users.mode'],
    [{ roles: { every: '15m' } }, 'roles'],
    [{ users: 'hourly' }, 'users'],
  ])('400 for %o, nothing written', async (payload, field) => {
    const res = await h.call({ method: 'PUT', url: '/v1/tenants/beta/schedule', payload: { apps: { every: '1d' }, ...payload } });
    expect(res.statusCode).toBe(400);
    expect(Object.keys(json<{ error: { fields: object } }>(res).error.fields)).toContain(field);
    expect(await schedulersOf('beta')).toEqual({});
  });

  it('404 for an unknown tenant', async () => {
    expect((await h.call({ method: 'PUT', url: '/v1/tenants/ghost/schedule', payload: { users: { every: '1h' } } })).statusCode).toBe(404);
  });
});

describe('GET /v1/tenants/{id}/objects/{resource}', () => {
  it('pages through every object with limit and after', async () => {
    const tenantId = asTenantId('objs');
    const objects = Array.from({ length: 25 }, (_, i) => ({ oktaId: `00u${String(i).padStart(3, '0')}`, data: { n: i }, oktaLastUpdated: null }));
    await h.store.commitPage({ tenantId, runId: asRunId('run_seed'), type: 'user', pageKey: 'p0', objects, at: new Date().toISOString() });
    await h.store.commitPage({
      tenantId,
      runId: asRunId('run_seed'),
      type: 'group',
      pageKey: 'g0',
      objects: [{ oktaId: '00g1', data: {}, oktaLastUpdated: null }],
      at: new Date().toISOString(),
    });
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const res = await h.call({ method: 'GET', url: `/v1/tenants/objs/objects/users?limit=10${after ? `&after=${after}` : ''}` });
      expect(res.statusCode).toBe(200);
      const page = json<{ items: { oktaId: string; type: string; data: unknown }[]; next: string | null }>(res);
      expect(page.items.length).toBeLessThanOrEqual(10);
      for (const item of page.items) {
        expect(item.type).toBe('user');
        seen.push(item.oktaId);
      }
      after = page.next;
      pages++;
    } while (after !== null && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual(objects.map((o) => o.oktaId));
    const defaults = json<{ items: unknown[]; next: string | null }>(await h.call({ method: 'GET', url: '/v1/tenants/objs/objects/users' }));
    expect([defaults.items.length, defaults.next]).toEqual([25, null]);
    const groups = json<{ items: unknown[] }>(await h.call({ method: 'GET', url: '/v1/tenants/objs/objects/groups' }));
    expect(groups.items).toHaveLength(1);
    const empty = await h.call({ method: 'GET', url: '/v1/tenants/objs/objects/apps' });
    expect(json(empty)).toEqual({ items: [], next: null });
    expect((await h.call({ method: 'GET', url: '/v1/tenants/ghost/objects/users' })).statusCode).toBe(404);
  });
});
