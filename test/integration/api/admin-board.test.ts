import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYNC_QUEUE, WEBHOOK_QUEUE } from '../../../src/shared/jobs.js';
import { type ApiHarness, KEY, startHarness } from './api-harness.js';

// Bull Board over real HTTP (issue 14): a session cookie from `?key=` must not be a way to queue
// a forged page job (tenant A's id with tenant B's run), so the board is read-only by default.

interface Listening {
  h: ApiHarness;
  url: string;
  cookie: string;
}

async function listen(name: string, env: Record<string, string> = {}): Promise<Listening> {
  const h = await startHarness(name, { env });
  const url = await h.app.listen({ port: 0, host: '127.0.0.1' });
  const login = await fetch(`${url}/admin/queues?key=${KEY}`);
  expect(login.status).toBe(200);
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  expect(cookie).toContain('=');
  return { h, url, cookie };
}

const FORGED = { name: 'page', data: { tenantId: 'tenant-a', runId: 'run_of_tenant_b', resource: 'users', mode: 'full', page: 0, url: null } };

function post(l: Listening, path: string, body: unknown, auth: 'cookie' | 'bearer' = 'cookie', method = 'POST'): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (auth === 'cookie') headers.cookie = l.cookie;
  else headers.authorization = `Bearer ${KEY}`;
  return fetch(`${l.url}/admin/queues/api/queues/${path}`, { method, headers, body: JSON.stringify(body) });
}

describe('Bull Board without OKTA_SYNC_ADMIN_WRITE', () => {
  let l: Listening;
  beforeAll(async () => {
    l = await listen('admin-ro');
  });
  afterAll(async () => {
    await l?.h.close();
  });

  it('still shows the queues, marked read-only', async () => {
    const res = await fetch(`${l.url}/admin/queues/api/queues`, { headers: { cookie: l.cookie } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { queues: { name: string; readOnlyMode: boolean }[] };
    expect(body.queues.find((q) => q.name === SYNC_QUEUE)?.readOnlyMode).toBe(true);
    // The outgoing webhooks' queue too, read-only alike.
    expect(body.queues.find((q) => q.name === WEBHOOK_QUEUE)?.readOnlyMode).toBe(true);
  });

  it.each([
    ['add a job (cookie)', `${SYNC_QUEUE}/add`, 'cookie', 'POST'],
    ['add a job (bearer)', `${SYNC_QUEUE}/add`, 'bearer', 'POST'],
    ['retry failed jobs', `${SYNC_QUEUE}/retry/failed`, 'cookie', 'PUT'],
    ['clean completed jobs', `${SYNC_QUEUE}/clean/completed`, 'cookie', 'PUT'],
    ['edit a job', `${SYNC_QUEUE}/some-job/update-data`, 'cookie', 'PATCH'],
    ['obliterate the queue', `${SYNC_QUEUE}/obliterate`, 'cookie', 'PUT'],
    ['pause every queue', '../queues/pause', 'cookie', 'PUT'],
  ] as const)('refuses to %s with 405', async (_what, path, auth, method) => {
    const res = await post(l, path, FORGED, auth, method);
    expect(res.status).toBe(405);
    expect(await res.json()).toMatchObject({ error: { code: 'read_only' } });
  });

  it('queued nothing', async () => {
    const counts = await l.h.queue.getJobCounts();
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(0);
    expect(await l.h.queue.isPaused()).toBe(false);
  });
});

describe('Bull Board with OKTA_SYNC_ADMIN_WRITE=true', () => {
  let l: Listening;
  beforeAll(async () => {
    l = await listen('admin-rw', { OKTA_SYNC_ADMIN_WRITE: 'true' });
  });
  afterAll(async () => {
    await l?.h.close();
  });

  it('lets the operator add a job (the same request that read-only refuses)', async () => {
    const res = await post(l, `${SYNC_QUEUE}/add`, FORGED);
    expect(res.status).toBe(200);
    expect(await l.h.queue.getJobCounts('waiting')).toEqual({ waiting: 1 });
  });
});
