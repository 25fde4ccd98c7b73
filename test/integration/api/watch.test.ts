import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { watchSchedulerId } from '../../../src/shared/jobs.js';
import { recordPoll, recordRefreshLag, watchStatusKey } from '../../../src/shared/watch-status.js';
import { type ApiHarness, json, startHarness, tenantBody } from './api-harness.js';

/** `PUT|GET /v1/tenants/{id}/watch` on real Redis: one BullMQ job scheduler per tenant, and the status in GET tenant. */
let h: ApiHarness;
type Watch = { enabled: boolean; intervalSeconds: number | null; nextPollAt: string | null; lastPollAt: string | null; lastLagSeconds: number | null };

beforeAll(async () => {
  h = await startHarness('api-watch');
  for (const id of ['acme', 'beta', 'gone']) {
    expect((await h.call({ method: 'PUT', url: `/v1/tenants/${id}`, payload: tenantBody() })).statusCode).toBe(201);
  }
});

afterAll(async () => {
  await h?.close();
});

const scheduler = (tenantId: string) => h.queue.getJobScheduler(watchSchedulerId(tenantId));

describe('PUT /v1/tenants/{id}/watch', () => {
  it('turns the watch on (default 15 s), changes its interval and turns it off', async () => {
    const on = await h.call({ method: 'PUT', url: '/v1/tenants/acme/watch', payload: { enabled: true } });
    expect(on.statusCode).toBe(200);
    expect(json<Watch>(on)).toMatchObject({ enabled: true, intervalSeconds: 15, lastPollAt: null, lastLagSeconds: null });
    expect(await scheduler('acme')).toMatchObject({ every: 15_000, name: 'watch', template: { data: { tenantId: 'acme' }, opts: { removeOnComplete: true } } });
    const faster = await h.call({ method: 'PUT', url: '/v1/tenants/acme/watch', payload: { enabled: true, intervalSeconds: 5 } });
    expect(json<Watch>(faster)).toMatchObject({ enabled: true, intervalSeconds: 5 });
    expect((await h.queue.getJobSchedulers()).filter((s) => s.key === watchSchedulerId('acme')).map((s) => s.every)).toEqual([5_000]);
    const off = await h.call({ method: 'PUT', url: '/v1/tenants/acme/watch', payload: { enabled: false } });
    expect(json<Watch>(off)).toMatchObject({ enabled: false, intervalSeconds: null, nextPollAt: null });
    expect(await scheduler('acme')).toBeUndefined();
  });

  it.each([
    [{ enabled: true, intervalSeconds: 4 }, 'intervalSeconds'],
    [{ enabled: true, intervalSeconds: 3601 }, 'intervalSeconds'],
    [{ enabled: true, intervalSeconds: 7.5 }, 'intervalSeconds'],
    [{ enabled: true, intervalSeconds: '10' }, 'intervalSeconds'],
    [{ intervalSeconds: 10 }, 'enabled'],
    [{ enabled: 'yes' }, 'enabled'],
    [{ enabled: true, every: '5s' }, 'every'],
  ])('400 for %o naming the field, nothing scheduled', async (payload, field) => {
    const res = await h.call({ method: 'PUT', url: '/v1/tenants/beta/watch', payload });
    expect(res.statusCode).toBe(400);
    expect(Object.keys(json<{ error: { fields: object } }>(res).error.fields)).toContain(field);
    expect(await scheduler('beta')).toBeUndefined();
  });

  it('404 for an unknown tenant', async () => {
    expect((await h.call({ method: 'PUT', url: '/v1/tenants/ghost/watch', payload: { enabled: true } })).statusCode).toBe(404);
    expect((await h.call({ method: 'GET', url: '/v1/tenants/ghost/watch' })).statusCode).toBe(404);
  });

  it('GET tenant and GET …/watch show what the workers recorded', async () => {
    await h.call({ method: 'PUT', url: '/v1/tenants/beta/watch', payload: { enabled: true, intervalSeconds: 30 } });
    await recordPoll(h.redis, h.config.queuePrefix, 'beta', { at: '2026-01-01T00:00:00.000Z', events: 7 });
    await recordRefreshLag(h.redis, h.config.queuePrefix, 'beta', 2.5, '2026-01-01T00:00:01.000Z');
    const tenant = json<{ watch: Watch & { lastPollEvents: number } }>(await h.call({ method: 'GET', url: '/v1/tenants/beta' }));
    expect(tenant.watch).toMatchObject({ enabled: true, intervalSeconds: 30, lastPollAt: '2026-01-01T00:00:00.000Z', lastPollEvents: 7, lastLagSeconds: 2.5 });
    expect(json<Watch>(await h.call({ method: 'GET', url: '/v1/tenants/beta/watch' }))).toEqual(tenant.watch);
  });

  it('removing the tenant removes its watch scheduler and status', async () => {
    await h.call({ method: 'PUT', url: '/v1/tenants/gone/watch', payload: { enabled: true } });
    await recordPoll(h.redis, h.config.queuePrefix, 'gone', { at: '2026-01-01T00:00:00.000Z', events: 1 });
    expect((await h.call({ method: 'DELETE', url: '/v1/tenants/gone' })).statusCode).toBe(204);
    expect(await scheduler('gone')).toBeUndefined();
    expect(await h.redis.exists(watchStatusKey(h.config.queuePrefix, 'gone'))).toBe(0);
  });
});
