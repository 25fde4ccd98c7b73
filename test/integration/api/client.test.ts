import { once } from 'node:events';
import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OktaSim, startOktaSim } from '../../../src/okta-sim/index.js';
import { type ApiHandle, startApi } from '../../../src/producer/api/start-api.js';
import { isOktaSyncApiError, OktaSyncApiError, OktaSyncClient, type SyncedObject } from '../../../src/producer/client/index.js';
import { readConfig } from '../../../src/shared/config.js';
import { createLogger } from '../../../src/shared/logger.js';
import { createSandbox, type Sandbox } from '../../helpers/fixtures.js';
import { runCli, startCliProcess, stopProcess, waitFor } from '../../helpers/processes.js';

const KEY = 'client-test-key-0123456789abcdef0123';
let box: Sandbox;
let sim: OktaSim;
let api: ApiHandle;
let client: OktaSyncClient;
const logs: string[] = [];

beforeAll(async () => {
  box = createSandbox('api-client');
  sim = await startOktaSim({ orgs: 1, users: 30, groups: 3, apps: 2, logs: 3, rateLimits: 'unlimited' });
  const destination = new Writable({
    write(chunk: Buffer, _e, done) {
      logs.push(chunk.toString());
      done();
    },
  });
  const config = readConfig(box.env({ OKTA_SYNC_API_KEYS: KEY, METRICS_PORT: '0' }));
  api = await startApi(config, { port: 0, host: '127.0.0.1', logger: createLogger({ level: 'info', destination }) });
  client = new OktaSyncClient({ baseUrl: `${api.url}/`, apiKey: KEY });
});

afterAll(async () => {
  await api?.close();
  await sim?.close();
  box?.cleanup();
});

describe('OktaSyncClient against a listening API and a real worker', () => {
  it('onboards, verifies, syncs, waits and reads every object', async () => {
    const org = sim.orgs[0]!;
    const { tenant, created } = await client.putTenant('acme', { oktaDomain: org.domain, clientId: org.clientId, clientSecret: org.clientSecret });
    expect(created).toBe(true);
    expect(tenant).toMatchObject({ tenantId: 'acme', status: 'active', auth: { method: 'client_secret' } });
    expect((await client.putTenant('acme', { oktaDomain: org.domain, clientId: org.clientId, clientSecret: org.clientSecret })).created).toBe(false);
    expect((await client.getTenant('acme')).oktaDomain).toBe(org.domain);
    const report = await client.verifyTenant('acme');
    expect(report.ok).toBe(true);
    const link = await client.createConnectLink('acme', { expiresInMinutes: 60 });
    expect(link.url).toMatch(/\/connect\/[A-Za-z0-9_-]{43}$/);
    expect(Date.parse(link.expiresAt) - Date.now()).toBeGreaterThan(59 * 60_000);

    const worker = startCliProcess(['worker', '--concurrency', '4'], box.env());
    try {
      const [run] = await client.startSync('acme', { resources: ['users'], idempotencyKey: 'onboard-1' });
      expect(run).toMatchObject({ resource: 'users', status: 'queued', created: true });
      const again = await client.startSync('acme', { resources: ['users'], idempotencyKey: 'onboard-1' });
      expect(again[0]!.runId).toBe(run!.runId);
      const done = await client.waitForRun(run!.runId, { timeoutMs: 20_000, pollMs: 100 });
      expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
      expect(done.counters.objects).toBeGreaterThan(0);
      const runs = await client.listRuns('acme', { limit: 5 });
      expect(runs.map((r) => r.runId)).toContain(run!.runId);

      const all: SyncedObject[] = [];
      for await (const user of client.objects('acme', 'users', { limit: 7 })) all.push(user);
      expect(all.length).toBe(done.counters.objects);
      expect(new Set(all.map((u) => u.oktaId)).size).toBe(all.length);
      const page = await client.listObjects('acme', 'users', { limit: 7 });
      expect(page.items).toHaveLength(7);
      expect(page.next).toEqual(expect.any(String));
    } finally {
      await stopProcess(worker);
    }
  });

  it('schedules', async () => {
    const schedules = await client.setSchedule('acme', { users: { every: '15m', mode: 'incremental' }, logs: { every: '1h' } });
    expect(Object.keys(schedules).sort()).toEqual(['logs', 'users']);
    await client.setSchedule('acme', { logs: null });
    expect(Object.keys(await client.getSchedule('acme'))).toEqual(['users']);
  });

  it('watch', async () => {
    expect(await client.setWatch('acme', { enabled: true, intervalSeconds: 5 })).toMatchObject({ enabled: true, intervalSeconds: 5 });
    expect((await client.getTenant('acme')).watch).toMatchObject({ enabled: true, intervalSeconds: 5 });
    expect(await client.setWatch('acme', { enabled: false })).toMatchObject({ enabled: false });
    expect((await client.getWatch('acme')).enabled).toBe(false);
    await expect(client.setWatch('acme', { enabled: true, intervalSeconds: 1 })).rejects.toMatchObject({ status: 400 });
  });

  it('webhooks', async () => {
    const { webhook, created } = await client.setWebhook('acme', { url: 'https://hooks.example.com/x', secret: 'whsec-client-0123456789', events: ['run.finished'] });
    expect([created, webhook.url, webhook.events]).toEqual([true, 'https://hooks.example.com/x', ['run.finished']]);
    expect(await client.getWebhook('acme')).not.toHaveProperty('secret');
    await client.deleteWebhook('acme');
    await expect(client.getWebhook('acme')).rejects.toMatchObject({ status: 404 });
    await expect(client.setWebhook('acme', { url: 'https://10.0.0.1/', secret: 'whsec-client-0123456789', events: ['run.finished'] })).rejects.toMatchObject({
      status: 400,
      fields: { url: expect.any(String) },
    });
  });

  it('turns API errors into typed OktaSyncApiError', async () => {
    const notFound = await client.getTenant('ghost').catch((e: unknown) => e);
    expect(notFound).toBeInstanceOf(OktaSyncApiError);
    expect(notFound).toMatchObject({ status: 404, code: 'not_found' });
    const bad = await client.putTenant('bad', { oktaDomain: 'acme.okta.com.evil.com', clientId: 'abc', clientSecret: 's' }).catch((e: unknown) => e);
    expect(isOktaSyncApiError(bad, 'bad_request')).toBe(true);
    expect((bad as OktaSyncApiError).fields.oktaDomain).toEqual(expect.any(String));
    const unknownResource = await client.startSync('acme', { resources: ['roles' as 'users'] }).catch((e: unknown) => e);
    expect(unknownResource).toMatchObject({ status: 400, fields: { 'resources.0': expect.any(String) } });
    const wrongKey = new OktaSyncClient({ baseUrl: api.url, apiKey: 'nope' });
    await expect(wrongKey.getTenant('acme')).rejects.toMatchObject({ status: 401, code: 'unauthorized' });
    const nowhere = new OktaSyncClient({ baseUrl: 'http://127.0.0.1:1', apiKey: KEY });
    await expect(nowhere.getRun('run_x')).rejects.toMatchObject({ status: 0, code: 'network_error' });
  });

  it('removes the tenant', async () => {
    await client.deleteTenant('acme', { purgeData: true });
    await expect(client.getTenant('acme')).rejects.toMatchObject({ status: 404 });
    await expect(client.listObjects('acme', 'users')).rejects.toMatchObject({ status: 404 });
  });

  it('serves /metrics, /healthz and /readyz without auth on METRICS_PORT only', async () => {
    expect(api.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const metrics = await fetch(`${api.metricsUrl}/metrics`);
    expect(metrics.status).toBe(200);
    const ready = await fetch(`${api.metricsUrl}/readyz`);
    expect([ready.status, await ready.json()]).toEqual([200, { status: 'ready' }]);
    expect((await fetch(`${api.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${api.url}/metrics`, { headers: { authorization: `Bearer ${KEY}` } })).status).toBe(200);
    expect(logs.join('')).toContain('api listening');
  });
});

describe('okta-sync api', () => {
  it('refuses to start without OKTA_SYNC_API_KEYS (exit 2, one line)', async () => {
    const res = await runCli(['api', '--port', '0'], box.env({ OKTA_SYNC_API_KEYS: '' }));
    expect(res.code).toBe(2);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toContain('OKTA_SYNC_API_KEYS');
  });

  it('serves until SIGTERM, then exits 0', async () => {
    const port = await freePort();
    const child = startCliProcess(['api', '--port', String(port)], box.env({ OKTA_SYNC_API_KEYS: KEY }));
    const url = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetch(`${url}/healthz`).catch(() => undefined))?.ok, 15_000, 'the api to listen');
    const res = await fetch(`${url}/v1/tenants/nobody`, { headers: { authorization: `Bearer ${KEY}` } });
    expect(res.status).toBe(404);
    expect(await stopProcess(child)).toBe(0);
    expect(child.output()).not.toContain(KEY);
  });
});

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}
