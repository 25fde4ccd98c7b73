import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asTenantId } from '../../../src/shared/ids.js';
import type { EventsJob } from '../../../src/shared/jobs.js';
import { keyPrefix } from '../../../src/shared/redis.js';
import { createHookMetrics } from '../../../src/shared/telemetry/hook-metrics.js';
import { eventHookSecretContext } from '../../../src/producer/event-hooks/event-hook-secret.js';
import { type ApiHarness, json, startHarness, tenantBody } from './api-harness.js';

/**
 * The Okta Event Hook receiver on a real Redis and SQLite: verification echo, the per-tenant secret
 * (no API key), dedupe on uuid across deliveries, eligible events queued as `events` jobs.
 */
const SECRET = 'okhs_receiver-test-secret-4f2a9c0d7b1e';
const CHALLENGE = 'challenge-9Xk2Lq';
let h: ApiHarness;
const registry = new Registry();
const tenant = asTenantId('acme');

beforeAll(async () => {
  h = await startHarness('api-event-hooks', { hookMetrics: createHookMetrics(registry) });
  expect((await h.call({ method: 'PUT', url: '/v1/tenants/acme', payload: tenantBody() })).statusCode).toBe(201);
  expect((await h.call({ method: 'PUT', url: '/v1/tenants/bare', payload: tenantBody() })).statusCode).toBe(201);
  const at = new Date().toISOString();
  await h.store.putEventHook({
    tenantId: tenant,
    oktaHookId: 'who1test',
    uri: 'https://sync.example.com/v1/hooks/okta/acme',
    secret: h.keyring.encrypt(SECRET, eventHookSecretContext(tenant)),
    events: ['user.account.update_profile'],
    status: 'installed',
    createdAt: at,
    updatedAt: at,
  });
});
afterAll(async () => {
  await h?.close();
});

let seq = 0;
const event = (eventType = 'user.account.update_profile', uuid = `uuid-${++seq}-${Date.now()}`) => ({
  uuid,
  eventType,
  published: new Date().toISOString(),
  version: '0',
  severity: 'INFO',
  displayMessage: 'x',
  actor: { id: '0oa1', type: 'PublicClientApp' },
  outcome: { result: 'SUCCESS', reason: null },
  target: [{ id: `00u${seq}`, type: 'User', alternateId: 'a@example.com', displayName: 'A', detailEntry: null }],
});
const delivery = (events: unknown[]) => ({ eventType: 'com.okta.event_hook', eventTypeVersion: '1.0', eventId: `e${seq}`, data: { events } });
const post = (payload: unknown, secret: string | null = SECRET, tenantId = 'acme') =>
  h.call({ method: 'POST', url: `/v1/hooks/okta/${tenantId}`, key: null, headers: secret === null ? {} : { authorization: secret }, payload: payload as Record<string, unknown> });
const queued = async (): Promise<EventsJob[]> =>
  (await h.queue.getJobs(['waiting', 'delayed', 'prioritized', 'active'])).filter((j) => j.name === 'events').map((j) => j.data as EventsJob);
const queuedUuids = async () => (await queued()).flatMap((j) => j.events.map((e) => e.uuid)).sort();

describe('GET /v1/hooks/okta/{tenantId}: verification', () => {
  it('echoes the challenge for a tenant with a hook, without an API key', async () => {
    const res = await h.call({ method: 'GET', url: '/v1/hooks/okta/acme', key: null, headers: { 'x-okta-verification-challenge': CHALLENGE } });
    expect(res.statusCode).toBe(200);
    expect(json(res)).toEqual({ verification: CHALLENGE });
  });

  it('answers 404 alike for a tenant without a hook and an unknown tenant, 400 without a challenge', async () => {
    for (const id of ['bare', 'nobody', 'bad%21id']) {
      const res = await h.call({ method: 'GET', url: `/v1/hooks/okta/${id}`, key: null, headers: { 'x-okta-verification-challenge': CHALLENGE } });
      expect(res.statusCode, id).toBe(404);
      expect(res.body).not.toContain(CHALLENGE);
    }
    expect((await h.call({ method: 'GET', url: '/v1/hooks/okta/acme', key: null })).statusCode).toBe(400);
  });
});

describe('POST /v1/hooks/okta/{tenantId}: deliveries', () => {
  it('refuses a forged delivery (no secret, wrong secret, the API key, unknown tenant) with the same 401 and queues nothing', async () => {
    const body = delivery([event()]);
    const answers = [
      await post(body, null),
      await post(body, 'okhs_wrong'),
      await post(body, `${SECRET}x`),
      await h.call({ method: 'POST', url: '/v1/hooks/okta/acme', payload: body }),
      await post(body, SECRET, 'nobody'),
      await post(body, SECRET, 'bare'),
    ];
    for (const res of answers) {
      expect(res.statusCode).toBe(401);
      expect(json(res)).toEqual({ error: { code: 'unauthorized', message: 'missing or invalid event hook secret' } });
    }
    expect(await queued()).toEqual([]);
    // Nothing was even remembered as seen.
    expect(await h.redis.keys(`${keyPrefix(h.config.queuePrefix)}:hook-seen:*`)).toEqual([]);
  });

  it('queues eligible events once: a duplicate delivery queues nothing more, an overlapping out-of-order one only what is new', async () => {
    const [a, b, c] = [event(), event('group.user_membership.add'), event('user.lifecycle.deactivate')];
    const first = await post(delivery([a, b]));
    expect(first.statusCode).toBe(200);
    expect(json(first)).toEqual({ received: 2, queued: 2, duplicates: 0, ignored: 0 });
    const again = await post(delivery([a, b]));
    expect(json(again)).toEqual({ received: 2, queued: 0, duplicates: 2, ignored: 0 });
    const reordered = await post(delivery([c, b]));
    expect(json(reordered)).toEqual({ received: 2, queued: 1, duplicates: 1, ignored: 0 });
    expect(await queuedUuids()).toEqual([a.uuid, b.uuid, c.uuid].sort());
    const jobs = await queued();
    expect(jobs.every((j) => j.tenantId === 'acme' && j.source === 'hook')).toBe(true);
    expect(jobs.flatMap((j) => j.events).find((e) => e.uuid === b.uuid)).toEqual({ uuid: b.uuid, eventType: 'group.user_membership.add', published: b.published, target: [{ id: b.target[0]!.id, type: 'User' }] });
  });

  it('ignores types it does not refresh (a hard delete, a sign-in) and malformed events; 400 for a body that is no delivery', async () => {
    const before = (await queuedUuids()).length;
    const res = await post(delivery([event('user.lifecycle.delete.completed'), event('user.session.start'), { uuid: 5 }]));
    expect(json(res)).toEqual({ received: 3, queued: 0, duplicates: 0, ignored: 3 });
    expect(await queuedUuids()).toHaveLength(before);
    expect((await post({ data: { events: 'nope' } })).statusCode).toBe(400);
    expect((await post({ data: { events: 'nope' } }, null)).statusCode).toBe(401);
  });

  it('refuses a body over 1 MiB with 413 (401 first without the secret) and queues nothing', async () => {
    const before = (await queuedUuids()).length;
    const big = delivery([{ ...event(), displayMessage: 'x'.repeat(1024 * 1024) }]);
    expect((await post(big)).statusCode).toBe(413);
    expect((await post(big, null)).statusCode).toBe(401);
    expect(await queuedUuids()).toHaveLength(before);
  });

  it('keeps the seen-uuid keys under the queue prefix with a TTL', async () => {
    const keys = await h.redis.keys(`${keyPrefix(h.config.queuePrefix)}:hook-seen:acme:*`);
    expect(keys.length).toBeGreaterThanOrEqual(3);
    const ttl = await h.redis.ttl(keys[0]!);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(3600);
  });

  it('counts deliveries and events; the secret is in no log line or response', async () => {
    const text = await registry.metrics();
    expect(text).toMatch(/okta_sync_hook_deliveries_total\{result="refused"\} 8/);
    expect(text).toMatch(/okta_sync_hook_deliveries_total\{result="accepted"\} 4/);
    expect(text).toMatch(/okta_sync_hook_deliveries_total\{result="invalid"\} 1/);
    expect(text).toMatch(/okta_sync_hook_events_total\{result="queued"\} 3/);
    expect(text).toMatch(/okta_sync_hook_events_total\{result="duplicate"\} 3/);
    const everything = [...h.logs, ...h.responses].join('\n');
    expect(everything).toContain('event hook delivery');
    expect(everything).not.toContain(SECRET);
    expect(everything).not.toContain('okhs_wrong');
  });

  it('removing the tenant removes its hook record and seen-uuid keys; its deliveries are then refused', async () => {
    expect((await h.call({ method: 'DELETE', url: '/v1/tenants/acme' })).statusCode).toBe(204);
    expect(await h.store.getEventHook(tenant)).toBeUndefined();
    expect(await h.redis.keys(`${keyPrefix(h.config.queuePrefix)}:hook-seen:acme:*`)).toEqual([]);
    expect((await post(delivery([event()]))).statusCode).toBe(401);
  });

  it('is documented without the bearer requirement', async () => {
    const doc = json<{ paths: Record<string, Record<string, { security?: unknown[] }>> }>(await h.call({ method: 'GET', url: '/openapi.json' }));
    const path = doc.paths['/v1/hooks/okta/{tenantId}'] ?? {};
    expect(Object.keys(path).sort()).toEqual(['get', 'post']);
    expect(path.post?.security).toEqual([]);
  });
});
