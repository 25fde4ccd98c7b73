import type { ServerResponse } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type OktaSim, type SimOrgInfo, startOktaSim } from '../../../src/okta-sim/index.js';
import type { HookDeliveryRecord } from '../../../src/okta-sim/hook-delivery.js';
import { type ReceivedDelivery, startWebhookReceiver, type WebhookReceiver } from '../../helpers/webhook-receiver.js';
import { waitFor } from '../../helpers/processes.js';
import { admin, header, http, secretToken } from './sim-http.js';

/**
 * The simulator's Event Hooks (OKTA-FACTS "Near-real-time"): the management API with its scope and
 * lifecycle rules, the verification handshake, and deliveries of mutations' System Log events: at
 * least once, duplicated and reordered on demand, retried once on 5xx or timeout, never on 4xx.
 */
const MANAGE = 'okta.eventHooks.manage';
const AUTH = 'hook-auth-value-0123456789';
let sim: OktaSim;
let org: SimOrgInfo;
let token: string;
let receivers: WebhookReceiver[] = [];

interface Hook {
  id: string;
  status: string;
  verificationStatus: string;
  events: { items: string[] };
  channel: { config: { uri: string; authScheme: { key: string; value?: string } | null } };
}
interface Delivery {
  eventType: string;
  source: string;
  data: { events: { uuid: string; eventType: string; target: { id: string; type: string }[] | null }[] };
}

beforeAll(async () => {
  sim = await startOktaSim({ users: 20, groups: 3, apps: 1, logs: 2, seed: 17, rateLimits: 'unlimited' });
  org = sim.orgs[0]!;
  await admin(org, 'clients', { clientId: org.clientId, grantedScopes: ['okta.users.read', 'okta.logs.read', MANAGE] });
  token = await secretToken(org, `okta.users.read ${MANAGE}`);
});
afterAll(async () => {
  await sim?.close();
});
afterEach(async () => {
  for (const hook of sim.org(0).eventHooks.registry.list()) {
    await call('POST', `/api/v1/eventHooks/${hook.id}/lifecycle/deactivate`);
    await call('DELETE', `/api/v1/eventHooks/${hook.id}`);
  }
  await Promise.all(receivers.map((r) => r.close()));
  receivers = [];
  sim.org(0).setFaults('none');
});

const call = (method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown, bearer = token) =>
  http(`${org.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${bearer}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

const hookBody = (uri: string, items = ['user.account.update_profile', 'group.user_membership.add']) => ({
  name: 'okta-sync test',
  events: { type: 'EVENT_TYPE', items },
  channel: { type: 'HTTP', version: '1.0.0', config: { uri, authScheme: { type: 'HEADER', key: 'Authorization', value: AUTH } } },
});

/** A receiver that echoes the verification challenge and answers deliveries with `post(n)`. */
async function receiver(post: (n: number, d: Omit<ReceivedDelivery, 'status'>) => number | ((res: ServerResponse) => void) = () => 200): Promise<WebhookReceiver> {
  let posts = 0;
  const r = await startWebhookReceiver((_n, d) => {
    if (d.method === 'GET') {
      const challenge = d.headers['x-okta-verification-challenge'];
      return (res: ServerResponse) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ verification: challenge }));
    }
    return post(posts++, d);
  });
  receivers.push(r);
  return r;
}

async function installed(uri: string, items?: string[]): Promise<Hook> {
  const created = await call('POST', '/api/v1/eventHooks', hookBody(uri, items));
  expect(created.status, created.text).toBe(200);
  const verified = await call('POST', `/api/v1/eventHooks/${created.json<Hook>().id}/lifecycle/verify`);
  expect(verified.status, verified.text).toBe(200);
  return verified.json<Hook>();
}

const posts = (r: WebhookReceiver) => r.received.filter((d) => d.method === 'POST');
const uuidsOf = (r: WebhookReceiver) => posts(r).flatMap((d) => (JSON.parse(d.body) as Delivery).data.events.map((e) => e.uuid));
const records = (): HookDeliveryRecord[] => sim.org(0).eventHooks.deliverer.records;
const someUser = () => sim.org(0).truth().users.find((u) => u.status === 'ACTIVE')!;

describe('event hooks API', () => {
  it('creates ACTIVE and UNVERIFIED, verifies by the challenge echo, lists, reads, and deletes only when INACTIVE', async () => {
    const r = await receiver();
    const created = await call('POST', '/api/v1/eventHooks', hookBody(r.url));
    expect(created.status).toBe(200);
    const hook = created.json<Hook>();
    expect(hook).toMatchObject({ status: 'ACTIVE', verificationStatus: 'UNVERIFIED', channel: { config: { uri: r.url, authScheme: { key: 'Authorization' } } } });
    expect(created.text).not.toContain(AUTH);
    expect(header(created, 'x-rate-limit-limit')).toBeDefined();

    const verified = await call('POST', `/api/v1/eventHooks/${hook.id}/lifecycle/verify`);
    expect(verified.json<Hook>().verificationStatus).toBe('VERIFIED');
    const challenge = r.received.find((d) => d.method === 'GET');
    expect(challenge?.headers['x-okta-verification-challenge']).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(challenge?.headers.authorization).toBe(AUTH);

    expect((await call('GET', '/api/v1/eventHooks')).json<Hook[]>().map((h) => h.id)).toEqual([hook.id]);
    const state = await admin<{ hooks: Hook[]; deliveries: { kind: string; status: number }[] }>(org, 'event-hooks');
    expect(state.hooks.map((h) => h.verificationStatus)).toEqual(['VERIFIED']);
    expect(state.deliveries.at(-1)).toMatchObject({ kind: 'verify', status: 200 });
    expect(JSON.stringify(state)).not.toContain(AUTH);
    expect((await call('GET', `/api/v1/eventHooks/${hook.id}`)).json<Hook>().id).toBe(hook.id);
    const refused = await call('DELETE', `/api/v1/eventHooks/${hook.id}`);
    expect(refused.status).toBe(400);
    expect(refused.json<{ errorCode: string }>().errorCode).toBe('E0000001');
    expect((await call('POST', `/api/v1/eventHooks/${hook.id}/lifecycle/deactivate`)).json<Hook>().status).toBe('INACTIVE');
    expect((await call('DELETE', `/api/v1/eventHooks/${hook.id}`)).status).toBe(204);
    expect((await call('GET', `/api/v1/eventHooks/${hook.id}`)).status).toBe(404);
  });

  it('stays UNVERIFIED when the endpoint does not echo the challenge', async () => {
    const r = await startWebhookReceiver(() => 200);
    receivers.push(r);
    const hook = (await call('POST', '/api/v1/eventHooks', hookBody(r.url))).json<Hook>();
    const verify = await call('POST', `/api/v1/eventHooks/${hook.id}/lifecycle/verify`);
    expect(verify.status).toBe(400);
    expect((await call('GET', `/api/v1/eventHooks/${hook.id}`)).json<Hook>().verificationStatus).toBe('UNVERIFIED');
  });

  it('refuses a token without okta.eventHooks.manage with 403 insufficient_scope, and reads need only read', async () => {
    const readOnly = await secretToken(org, 'okta.users.read');
    const res = await call('POST', '/api/v1/eventHooks', hookBody('https://hooks.example.com/x'), readOnly);
    expect(res.status).toBe(403);
    expect(header(res, 'www-authenticate')).toContain('error="insufficient_scope"');
    expect((await call('GET', '/api/v1/eventHooks', undefined, readOnly)).status).toBe(403);
  });

  it('validates the body: http outside loopback, an ineligible type (user.lifecycle.delete.completed), a missing name', async () => {
    for (const body of [
      hookBody('http://hooks.example.com/x'),
      hookBody('https://hooks.example.com/x', ['user.lifecycle.delete.completed']),
      { ...hookBody('https://hooks.example.com/x'), name: '' },
    ]) {
      const res = await call('POST', '/api/v1/eventHooks', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json<{ errorCode: string }>().errorCode).toBe('E0000001');
    }
  });

  it('allows at most 25 active hooks', async () => {
    for (let i = 0; i < 25; i++) expect((await call('POST', '/api/v1/eventHooks', hookBody(`https://hooks.example.com/${i}`))).status).toBe(200);
    const over = await call('POST', '/api/v1/eventHooks', hookBody('https://hooks.example.com/26'));
    expect(over.status).toBe(400);
    expect(over.json<{ errorSummary: string }>().errorSummary).toContain('25 active');
  });
});

describe('event hook deliveries', () => {
  it('delivers a subscribed mutation once with Okta\'s body and the auth header; unsubscribed and unverified hooks get nothing', async () => {
    sim.org(0).setFaults({ hookDuplicate: 0, hookReorder: 0 });
    const r = await receiver();
    const idle = await receiver();
    await installed(r.url);
    await call('POST', '/api/v1/eventHooks', hookBody(idle.url)); // never verified
    const user = someUser();
    sim.org(0).mutate([{ op: 'updateUser', id: user.id, profile: { nickName: 'hooked' } }, { op: 'deleteUser', id: user.id }]);
    await waitFor(async () => posts(r).length >= 1, 5_000, 'one delivery');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(posts(r)).toHaveLength(1);
    const delivery = posts(r)[0]!;
    expect(delivery.headers.authorization).toBe(AUTH);
    expect(delivery.headers['content-type']).toContain('application/json');
    const body = JSON.parse(delivery.body) as Delivery;
    expect(body).toMatchObject({ eventType: 'com.okta.event_hook', source: expect.stringContaining('/api/v1/eventHooks/') });
    // The hard delete is logged but is not hook-eligible.
    expect(body.data.events.map((e) => e.eventType)).toEqual(['user.account.update_profile']);
    expect(body.data.events[0]!.target).toEqual([expect.objectContaining({ id: user.id, type: 'User' })]);
    expect(sim.org(0).truth().logEvents.some((e) => e.eventType === 'user.lifecycle.delete.completed' && e.target?.[0]?.id === user.id)).toBe(true);
    expect(posts(idle)).toHaveLength(0);
  });

  it('sends every delivery twice with hookDuplicate=1, and reverses held-back batches with hookReorder=1', async () => {
    sim.org(0).setFaults({ hookDuplicate: 1, hookReorder: 1 });
    const r = await receiver();
    await installed(r.url);
    const [a, b] = sim.org(0).truth().users.filter((u) => u.status === 'ACTIVE');
    const results = sim.org(0).mutate([
      { op: 'updateUser', id: a!.id, profile: { nickName: 'one' } },
      { op: 'updateUser', id: b!.id, profile: { nickName: 'two' } },
    ]);
    expect(results.every((x) => x.ok)).toBe(true);
    await waitFor(async () => posts(r).length >= 2, 5_000, 'two deliveries');
    const logged = sim.org(0).truth().logEvents.filter((e) => e.eventType === 'user.account.update_profile').slice(-2).map((e) => e.uuid);
    expect(uuidsOf(r)).toEqual([...logged].reverse().concat([...logged].reverse()));
    expect(records().filter((x) => x.kind === 'delivery' && x.duplicate)).toHaveLength(1);
  });

  it('retries once on a 5xx, never on a 4xx', async () => {
    sim.org(0).setFaults({ hookDuplicate: 0, hookReorder: 0 });
    const failing = await receiver(() => 503);
    const refusing = await receiver(() => 401);
    await installed(failing.url);
    await installed(refusing.url);
    sim.org(0).mutate({ op: 'updateUser', id: someUser().id, profile: { nickName: 'retry' } });
    await waitFor(async () => posts(failing).length >= 2, 5_000, 'the retry');
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(posts(failing)).toHaveLength(2);
    expect(posts(refusing)).toHaveLength(1);
    expect(uuidsOf(failing)[0]).toBe(uuidsOf(failing)[1]);
  });

  it('retries once when the endpoint does not answer within 3 s', async () => {
    sim.org(0).setFaults({ hookDuplicate: 0, hookReorder: 0 });
    const slow = await receiver((n) => (n === 0 ? () => undefined : 200));
    await installed(slow.url);
    const started = Date.now();
    sim.org(0).mutate({ op: 'updateUser', id: someUser().id, profile: { nickName: 'slow' } });
    await waitFor(async () => posts(slow).length >= 2, 8_000, 'the retry after a timeout');
    expect(Date.now() - started).toBeGreaterThanOrEqual(3_000);
    const attempts = records().filter((x) => x.kind === 'delivery' && x.hookId === sim.org(0).eventHooks.registry.list()[0]!.id);
    expect(attempts.map((x) => [x.attempt, x.status])).toEqual([[1, 0], [2, 200]]);
  }, 15_000);
});
