import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/cli/private-redis.js';
import { type OktaSim, startOktaSim } from '../../src/okta-sim/index.js';
import { verifyWebhookSignature } from '../../src/shared/webhooks/webhook-signature.js';
import { createSandbox, type Sandbox } from '../helpers/fixtures.js';
import { startCliProcess, stopProcess, waitFor } from '../helpers/processes.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';
import { addTenant, syncAndWait } from './sync-harness.js';

/**
 * Issue 16 webhooks end to end: the webhook is set through a real `okta-sync api` process, a sync
 * runs on real worker processes against the simulator, and the receiver (node:http on loopback,
 * allowed by the insecure-loopback flag) gets a run.finished it can verify. The secret appears in
 * no process output and no span.
 */
const SECRET = 'whsec-e2e-5d0c9b8a7e6f1234';
const API_KEY = 'webhooks-e2e-key-0123456789abcdef';
let sim: OktaSim;
let box: Sandbox;
let receiver: WebhookReceiver;
let traceFile: string;
let apiUrl: string;
let api: ReturnType<typeof startCliProcess>;
let workers: ReturnType<typeof startCliProcess>[] = [];

beforeAll(async () => {
  box = createSandbox('e2e-webhooks');
  traceFile = join(box.dir, 'spans.ndjson');
  const env = box.env({ OKTA_SYNC_API_KEYS: API_KEY, OKTA_SYNC_TRACE_FILE: traceFile, LOG_LEVEL: 'info' });
  sim = await startOktaSim({ orgs: 1, users: 30, groups: 2, apps: 1, logs: 1, seed: 16, rateLimits: 'unlimited' });
  receiver = await startWebhookReceiver();
  const port = await freePort();
  api = startCliProcess(['api', '--port', String(port)], env);
  apiUrl = `http://127.0.0.1:${port}`;
  workers = [1, 2].map(() => startCliProcess(['worker', '--concurrency', '4'], env));
  await addTenant(box, sim, 'acme', 0);
  await waitFor(async () => (await fetch(`${apiUrl}/healthz`).catch(() => undefined))?.ok, 30_000, 'api up');
});

afterAll(async () => {
  await Promise.all([...workers, api].filter(Boolean).map((p) => stopProcess(p)));
  await receiver?.close();
  await sim?.close();
  box?.cleanup();
});

describe('outgoing webhooks with real processes', () => {
  it('a sync finishes and the receiver gets a verified run.finished', async () => {
    const put = await fetch(`${apiUrl}/v1/tenants/acme/webhook`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: receiver.url, secret: SECRET, events: ['run.finished', 'objects.changed'] }),
    });
    expect(put.status).toBe(201);
    expect(await put.text()).not.toContain(SECRET);

    const [run] = await syncAndWait(box, 'acme', ['users']);
    const delivery = await waitFor(
      async () => receiver.received.find((d) => d.headers['x-okta-sync-delivery'] === `run.finished.${run!.runId}`),
      60_000,
      'run.finished delivery',
    );
    const header = (name: string) => delivery.headers[name] as string | undefined;
    expect(verifyWebhookSignature(SECRET, { timestamp: header('x-okta-sync-timestamp'), signature: header('x-okta-sync-signature') }, delivery.body)).toBe(true);
    expect(JSON.parse(delivery.body)).toMatchObject({
      event: 'run.finished',
      tenantId: 'acme',
      runId: run!.runId,
      resource: 'users',
      mode: 'full',
      status: 'succeeded',
      errorCode: null,
      counters: { objects: run!.counters.objects },
    });
    expect(run!.counters.objects).toBeGreaterThanOrEqual(30);
    const changed = await waitFor(async () => receiver.received.find((d) => d.headers['x-okta-sync-delivery'] === `objects.changed.${run!.runId}`), 60_000, 'objects.changed');
    expect(JSON.parse(changed.body)).toMatchObject({ counts: { written: run!.counters.objects, deleted: 0 } });
    expect(receiver.received.filter((d) => d.headers['x-okta-sync-delivery'] === `run.finished.${run!.runId}`)).toHaveLength(1);

    const everything = () => [api.output(), ...workers.map((w) => w.output()), existsSync(traceFile) ? readFileSync(traceFile, 'utf8') : ''].join('\n');
    // Logs and spans are written asynchronously: wait until the delivery's own lines are there.
    const haystack = await waitFor(async () => /webhook delivered/.test(everything()) && /"bullmq.queue.name":"webhooks"/.test(everything()) && everything(), 30_000, 'delivery logged and traced');
    expect(haystack).not.toContain(SECRET);
  });
});
