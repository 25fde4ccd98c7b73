import type { ServerResponse } from 'node:http';
import { Writable } from 'node:stream';
import type { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Config, readConfig } from '../../../src/shared/config.js';
import { type Keyring, parseKeyring } from '../../../src/shared/crypto.js';
import { asTenantId, type RunId } from '../../../src/shared/ids.js';
import { createLogger } from '../../../src/shared/logger.js';
import { createRedis, keyPrefix, type Redis } from '../../../src/shared/redis.js';
import { SqliteStore } from '../../../src/shared/store/sqlite-store.js';
import type { SyncStore, WebhookEvent } from '../../../src/shared/store/sync-store.js';
import { createMetrics, type Metrics } from '../../../src/shared/telemetry/metrics.js';
import { createWebhookClient } from '../../../src/shared/webhooks/webhook-client.js';
import { addWebhookJob } from '../../../src/shared/webhooks/webhook-queue.js';
import { webhookSecretContext } from '../../../src/shared/webhooks/webhook-secret.js';
import { verifyWebhookSignature } from '../../../src/shared/webhooks/webhook-signature.js';
import { createTenantConnectedNotifier } from '../../../src/producer/connect/tenant-connected-webhook.js';
import { deleteByPattern } from '../../../src/producer/remove-tenant.js';
import { createRunNotifier, notifyingFinishedRuns } from '../../../src/workers/run-notifier.js';
import { reconcileRunWebhooks } from '../../../src/workers/webhook-reconcile.js';
import { startWebhookWorker, type WebhookWorkerHandle } from '../../../src/workers/webhook-worker.js';
import { createSandbox, type Sandbox } from '../../helpers/fixtures.js';
import { waitFor } from '../../helpers/processes.js';
import { type ReceivedDelivery, startWebhookReceiver, type WebhookReceiver } from '../../helpers/webhook-receiver.js';
import { runRecord, tenantRecord } from '../store/store-fixtures.js';

/**
 * Deliveries through the real pieces: BullMQ on a real Redis, the SQLite store, the keyring, the
 * undici client and a node:http receiver on port 0. Names are resolved by a test resolver:
 * `receiver.test` → 127.0.0.1 (so a delivery that arrives proves the connection went to the
 * checked address), `hooks.example.test` → 10.0.0.7 (must be refused; nothing is sent there).
 */
const SECRET = 'whsec-test-3b6f0c1d9e8a7f65';
let box: Sandbox;
let config: Config;
let redis: Redis;
let store: SqliteStore;
let keyring: Keyring;
let metrics: Metrics;
let webhooks: WebhookWorkerHandle;
let notifying: SyncStore;
let receiver: WebhookReceiver;
let respond: (n: number) => number = () => 204;
const logs: string[] = [];

const resolve = async (hostname: string) => {
  if (hostname === 'receiver.test') return [{ address: '127.0.0.1', family: 4 }];
  if (hostname === 'hooks.example.test') return [{ address: '93.184.216.34', family: 4 }, { address: '10.0.0.7', family: 4 }];
  throw new Error(`unexpected lookup of ${hostname}`);
};

beforeAll(async () => {
  box = createSandbox('webhooks');
  config = readConfig(box.env());
  redis = createRedis(config.redisUrl);
  store = new SqliteStore(box.storePath);
  keyring = parseKeyring(config.encryptionKeys);
  metrics = createMetrics({ processMetrics: false });
  const logger = createLogger({ level: 'debug', name: 'worker', destination: new Writable({ write: (c: Buffer, _e, done) => done(void logs.push(c.toString())) }) });
  receiver = await startWebhookReceiver((n) => respond(n));
  webhooks = await startWebhookWorker({ config, redis, store, keyring, metrics, logger, resolve, retry: { baseMs: 100, capMs: 400 } });
  notifying = notifyingFinishedRuns(store, createRunNotifier({ store, queue: webhooks.queue, logger, feedRange: async () => ({ from: 'c100', to: 'c142' }) }), logger);
});

afterAll(async () => {
  await webhooks?.close();
  await receiver?.close();
  await deleteByPattern(redis, `${keyPrefix(config.queuePrefix)}:*`);
  await redis?.quit();
  await store?.close();
  box?.cleanup();
});

async function setWebhook(tenant: string, url: string, events: WebhookEvent[] = ['run.finished']): Promise<void> {
  const tenantId = asTenantId(tenant);
  const at = new Date().toISOString();
  await store.putWebhook({ tenantId, url, secret: keyring.encrypt(SECRET, webhookSecretContext(tenantId)), events, createdAt: at, updatedAt: at });
}

/** A run of `tenant` that the notifying store then finishes, as a worker would. */
async function finishRun(tenant: string, counters: { objects?: number; deleted?: number } = {}): Promise<RunId> {
  const tenantId = asTenantId(tenant);
  const { run } = await store.createRunUnlessActive(runRecord(tenantId, 'users', { status: 'running' }));
  // Real writes: finishRun recounts objects from the page records and deletions from the tombstones.
  const at = new Date().toISOString();
  const users = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => ({ oktaId: `${prefix}${i}`, data: { i }, oktaLastUpdated: null }));
  const earlier = `${run.runId}-earlier` as RunId;
  if (counters.deleted) await store.commitPage({ tenantId, runId: earlier, type: 'user', pageKey: 'p0', objects: users(`gone-${run.runId}-`, counters.deleted), at });
  if (counters.objects) await store.commitPage({ tenantId, runId: run.runId, type: 'user', pageKey: 'p0', objects: users(`kept-${run.runId}-`, counters.objects), at });
  if (counters.deleted) await store.sweep({ tenantId, type: 'user', runId: run.runId, at });
  expect(await notifying.finishRun(run.runId, { status: 'succeeded', at: new Date().toISOString() })).toBe(true);
  return run.runId;
}

function verified(d: ReceivedDelivery): boolean {
  const h = (name: string) => (typeof d.headers[name] === 'string' ? (d.headers[name] as string) : undefined);
  return verifyWebhookSignature(SECRET, { timestamp: h('x-okta-sync-timestamp'), signature: h('x-okta-sync-signature') }, d.body);
}

const ofDelivery = (id: string) => receiver.received.filter((d) => d.headers['x-okta-sync-delivery'] === id);

async function stateOf(queue: Queue, id: string): Promise<string> {
  return (await (await queue.getJob(id))?.getState()) ?? 'missing';
}

describe('webhook deliveries', () => {

  it('tenant.connected (the connect page) is delivered signed to a webhook that asks for it, and to no other', async () => {
    respond = () => 204;
    const at = new Date('2026-12-02T01:02:03.456Z');
    const notify = createTenantConnectedNotifier({ store, queue: webhooks.queue, now: () => at });
    await setWebhook('joined', `http://receiver.test:${receiver.port}/joined`, ['tenant.connected']);
    await setWebhook('runsonly', `http://receiver.test:${receiver.port}/runsonly`, ['run.finished']);
    await notify({ tenantId: asTenantId('runsonly'), grantedScopes: ['okta.users.read'], ok: true });
    await notify({ tenantId: asTenantId('joined'), grantedScopes: ['okta.groups.read', 'okta.users.read'], ok: false });
    const id = `tenant.connected.joined.${at.getTime()}`;
    const d = await waitFor(async () => ofDelivery(id)[0], 30_000, 'tenant.connected delivery');
    expect(verified(d)).toBe(true);
    expect(d.path).toBe('/joined');
    expect(JSON.parse(d.body)).toEqual({
      event: 'tenant.connected',
      deliveryId: id,
      tenantId: 'joined',
      grantedScopes: ['okta.groups.read', 'okta.users.read'],
      ok: false,
      connectedAt: at.toISOString(),
    });
    expect(await webhooks.queue.getJob(`tenant.connected.runsonly.${at.getTime()}`)).toBeUndefined();
    expect(receiver.received.filter((r) => r.path === '/runsonly')).toHaveLength(0);
  });
  it('a finished run is POSTed once, signed, with the run and the change counts; seen twice, still sent once', async () => {
    respond = () => 204;
    await setWebhook('acme', `http://receiver.test:${receiver.port}/hooks?tenant=acme`, ['run.finished', 'objects.changed']);
    const runId = await finishRun('acme', { objects: 3, deleted: 1 });
    const finished = await waitFor(async () => ofDelivery(`run.finished.${runId}`)[0], 30_000, 'run.finished delivery');
    const changed = await waitFor(async () => ofDelivery(`objects.changed.${runId}`)[0], 30_000, 'objects.changed delivery');
    for (const d of [finished, changed]) {
      expect(d.method).toBe('POST');
      expect(d.path).toBe('/hooks?tenant=acme');
      expect(d.headers['content-type']).toBe('application/json');
      expect(verified(d)).toBe(true);
    }
    expect(JSON.parse(finished.body)).toMatchObject({
      event: 'run.finished',
      deliveryId: `run.finished.${runId}`,
      tenantId: 'acme',
      runId,
      resource: 'users',
      mode: 'full',
      status: 'succeeded',
      errorCode: null,
      counters: { objects: 3, deleted: 1 },
    });
    expect(JSON.parse(changed.body)).toEqual({
      event: 'objects.changed',
      deliveryId: `objects.changed.${runId}`,
      tenantId: 'acme',
      runId,
      resource: 'users',
      counts: { written: 3, deleted: 1 },
      feed: { from: 'c100', to: 'c142' },
    });
    // The run's end observed again (a retried finisher): same delivery id, no second job.
    await createRunNotifier({ store, queue: webhooks.queue, logger: createLogger({ level: 'silent' }) })(runId);
    expect(await stateOf(webhooks.queue, `run.finished.${runId}`)).toBe('completed');
    expect((await webhooks.queue.getJobs(['waiting', 'delayed', 'active', 'prioritized'])).length).toBe(0);
    expect(ofDelivery(`run.finished.${runId}`)).toHaveLength(1);
  });

  it('a failed run is notified with its error code, and objects.changed is left out when nothing was written', async () => {
    respond = () => 200;
    const { run } = await store.createRunUnlessActive(runRecord(asTenantId('acme'), 'groups', { status: 'running' }));
    const quiet = notifyingFinishedRuns(store, createRunNotifier({ store, queue: webhooks.queue, logger: createLogger({ level: 'silent' }) }), createLogger({ level: 'silent' }));
    await quiet.finishRun(run.runId, { status: 'failed', at: new Date().toISOString(), error: { code: 'okta_invalid_client', message: 'bad secret' } });
    const d = await waitFor(async () => ofDelivery(`run.finished.${run.runId}`)[0], 30_000, 'failed run delivery');
    expect(JSON.parse(d.body)).toMatchObject({ status: 'failed', errorCode: 'okta_invalid_client', resource: 'groups' });
    expect(d.body).not.toContain('bad secret');
    expect(await webhooks.queue.getJob(`objects.changed.${run.runId}`)).toBeUndefined();
  });

  it('a receiver failing the first 3 attempts gets the delivery once it acknowledges', async () => {
    const base = receiver.received.length;
    respond = (n) => (n - base < 3 ? 503 : 200);
    await setWebhook('flaky', `http://receiver.test:${receiver.port}/flaky`);
    const runId = await finishRun('flaky');
    const id = `run.finished.${runId}`;
    await waitFor(async () => (await stateOf(webhooks.queue, id)) === 'completed', 60_000, 'delivery acknowledged');
    const attempts = ofDelivery(id);
    expect(attempts.map((d) => d.status)).toEqual([503, 503, 503, 200]);
    expect(attempts.every(verified)).toBe(true);
    const text = await metrics.metricsText();
    expect(text).toMatch(/okta_sync_webhook_deliveries_total\{event="run.finished",result="failed"\} 3/);
    expect(text).toMatch(/okta_sync_webhook_delivery_seconds_count\{result="delivered"\} [2-9]/);
  });

  it('a host resolving to a private address is refused at delivery, not retried, never contacted', async () => {
    await setWebhook('sneaky', 'https://hooks.example.test/x');
    const runId = await finishRun('sneaky');
    const id = `run.finished.${runId}`;
    await waitFor(async () => (await stateOf(webhooks.queue, id)) === 'failed', 30_000, 'delivery refused');
    const job = await webhooks.queue.getJob(id);
    expect(job?.attemptsMade).toBe(1);
    expect(job?.failedReason).toMatch(/non-public address \(10\.0\.0\.7\)/);
    expect(await metrics.metricsText()).toMatch(/okta_sync_webhook_deliveries_total\{event="run.finished",result="refused"\} 1/);
  });

  it('a webhook removed before its delivery runs drops it; tenants without a webhook enqueue nothing', async () => {
    await setWebhook('gone', `http://receiver.test:${receiver.port}/gone`);
    await store.deleteWebhook(asTenantId('gone'));
    await addWebhookJob(webhooks.queue, { tenantId: 'gone', event: 'run.finished', deliveryId: 'run.finished.run_gone', payload: {} });
    await waitFor(async () => (await stateOf(webhooks.queue, 'run.finished.run_gone')) === 'completed', 30_000, 'skipped delivery');
    const runId = await finishRun('nohook');
    expect(await webhooks.queue.getJob(`run.finished.${runId}`)).toBeUndefined();
    expect(receiver.received.some((d) => d.path === '/gone')).toBe(false);
  });

  it('a run whose worker died between its final status and the enqueue is notified by the hourly sweep, once', async () => {
    respond = () => 204;
    const logger = createLogger({ level: 'silent', name: 'worker' });
    const notify = createRunNotifier({ store, queue: webhooks.queue, logger });
    await store.putTenant(tenantRecord('crashy'));
    await setWebhook('crashy', `http://receiver.test:${receiver.port}/crashy`);
    const tenantId = asTenantId('crashy');
    // Finished straight in the store: the notification the dead worker would have queued is missing.
    const lost = (await store.createRunUnlessActive(runRecord(tenantId, 'users', { status: 'running' }))).run;
    const now = new Date();
    await store.finishRun(lost.runId, { status: 'succeeded', at: new Date(now.getTime() - 60_000).toISOString() });
    // Finished long ago (out of the window), and one still running: neither is notified.
    const old = (await store.createRunUnlessActive(runRecord(tenantId, 'groups', { status: 'running' }))).run;
    await store.finishRun(old.runId, { status: 'succeeded', at: new Date(now.getTime() - 4 * 3_600_000).toISOString() });
    const running = (await store.createRunUnlessActive(runRecord(tenantId, 'apps', { status: 'running' }))).run;
    expect(await webhooks.queue.getJob(`run.finished.${lost.runId}`)).toBeUndefined();

    expect(await reconcileRunWebhooks({ store, notify, logger }, now)).toBeGreaterThanOrEqual(1);
    const d = await waitFor(async () => ofDelivery(`run.finished.${lost.runId}`)[0], 30_000, 'the recovered delivery');
    expect(verified(d)).toBe(true);
    expect(JSON.parse(d.body)).toMatchObject({ event: 'run.finished', runId: lost.runId, status: 'succeeded' });
    // The next sweeps find the delivery done and send nothing again.
    await reconcileRunWebhooks({ store, notify, logger }, now);
    await reconcileRunWebhooks({ store, notify, logger }, new Date(now.getTime() + 3_600_000));
    await new Promise((r) => setTimeout(r, 300));
    expect(ofDelivery(`run.finished.${lost.runId}`)).toHaveLength(1);
    for (const other of [old.runId, running.runId]) expect(await webhooks.queue.getJob(`run.finished.${other}`)).toBeUndefined();
  });

  it('the secret is in no log line, queued job or metric', async () => {
    const jobs = await webhooks.queue.getJobs(['completed', 'failed', 'waiting', 'delayed']);
    expect(jobs.length).toBeGreaterThan(3);
    const haystack = [logs.join(''), JSON.stringify(jobs.map((j) => [j.data, j.failedReason])), await metrics.metricsText()].join('\n');
    expect(logs.join('')).toContain('webhook delivered');
    expect(haystack).not.toContain(SECRET);
    // Logged by host only: the receiver's path and query (which may hold its token) stay out.
    expect(logs.join('')).not.toContain('tenant=acme');
  });
});

describe('webhook HTTP client', () => {
  const client = () => createWebhookClient({ policy: { allowInsecureLoopback: true, allow: [] }, requestTimeoutMs: 1_000, headersTimeoutMs: 1_000 });

  it('does not follow redirects, reads at most 4 KiB of the answer and gives up on a silent receiver', async () => {
    const answers: ((res: ServerResponse) => void)[] = [
      (res) => res.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' }).end(),
      (res) => res.writeHead(200).end('x'.repeat(1024 * 1024)),
      () => undefined, // never answers
    ];
    const r = await startWebhookReceiver((n) => answers[n] ?? 500);
    const c = client();
    try {
      expect((await c.post(r.url, '{}', {})).status).toBe(302);
      const big = await c.post(r.url, '{}', {});
      expect(big.status).toBe(200);
      expect(big.body.length).toBe(4096);
      await expect(c.post(r.url, '{}', {})).rejects.toMatchObject({ code: 'webhook_timeout' });
      expect(r.received).toHaveLength(3);
    } finally {
      await c.close();
      await r.close();
    }
  });

  it('refuses literal private addresses and http without the insecure flag before connecting', async () => {
    const c = createWebhookClient({ policy: { allowInsecureLoopback: false, allow: [] } });
    try {
      await expect(c.post('https://10.0.0.7/x', '{}', {})).rejects.toMatchObject({ code: 'webhook_refused' });
      await expect(c.post('http://127.0.0.1:9/x', '{}', {})).rejects.toMatchObject({ code: 'webhook_refused' });
    } finally {
      await c.close();
    }
  });
});
