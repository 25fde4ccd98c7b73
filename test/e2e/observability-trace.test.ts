import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/cli/private-redis.js';
import { startOktaSim, type OktaSim } from '../../src/okta-sim/index.js';
import type { TraceFileSpan } from '../../src/shared/telemetry/trace-file-processor.js';
import { createSandbox, type Sandbox } from '../helpers/fixtures.js';
import { runCli, startCliProcess, stopProcess, waitFor } from '../helpers/processes.js';
import { probe, scenario, type Worker } from '../helpers/sync-scenario.js';

/**
 * Issue 8 acceptance with real processes sharing one trace file (OKTA_SYNC_TRACE_FILE):
 * - a CLI `sync` and an API request each start a trace that continues in a worker process:
 *   enqueue → BullMQ process → okta-sync.job → token get (→ token request) → Okta request → store write;
 * - after known syncs (one forced 429), the worker's /metrics counts what the simulator and the
 *   store saw; the API's /metrics reports queue depth;
 * - no secret, token, assertion or private key anywhere in the spans or the logs.
 */
const USERS = 450; // 3 pages of 200
const API_KEY = 'observability-test-key-0123456789';
let sim: OktaSim;
let box: Sandbox;
let s: ReturnType<typeof scenario>;
let traceFile: string;
let worker: Worker;
let workerPort: number;
let api: Worker;
let apiUrl: string;
let apiMetricsPort: number;
const cliOutput: string[] = [];

const env = (extra: Record<string, string> = {}) =>
  box.env({ OKTA_SYNC_TRACE_FILE: traceFile, OKTA_SYNC_API_KEYS: API_KEY, LOG_LEVEL: 'debug', ...extra });

beforeAll(async () => {
  box = createSandbox('observability');
  traceFile = join(box.dir, 'spans.ndjson');
  // A small users bucket on a short window, so the test can spend it and force exactly one kind of 429.
  sim = await startOktaSim({ orgs: 1, users: USERS, groups: 1, apps: 1, logs: 1, seed: 8, rateLimits: { users: 4 }, rateWindowSeconds: 2 });
  s = scenario(sim, box, () => env({ LOG_LEVEL: 'warn' }));
  // private_key_jwt: every token request carries a signed client assertion the grep must not find.
  await s.addTenant('acme', 0, 'private_key');
  [workerPort, apiMetricsPort] = [await freePort(), await freePort()];
  const apiPort = await freePort();
  worker = s.startWorker(2, { ...env(), METRICS_PORT: String(workerPort) });
  api = startCliProcess(['api', '--port', String(apiPort)], env({ METRICS_PORT: String(apiMetricsPort) }));
  apiUrl = `http://127.0.0.1:${apiPort}`;
  await waitFor(async () => (await probe(workerPort, '/readyz'))?.status === 200, 30_000, 'worker ready');
  await waitFor(async () => (await probe(apiMetricsPort, '/readyz'))?.status === 200, 30_000, 'api ready');
  await fetch(`${sim.orgs[0]!.baseUrl}/__sim/reset-stats`, { method: 'POST', body: '{}' });
});

afterAll(async () => {
  await Promise.all([worker && stopProcess(worker), api && stopProcess(api)]);
  await s?.close();
  await sim?.close();
  box?.cleanup();
});

function spans(): TraceFileSpan[] {
  if (!existsSync(traceFile)) return [];
  return readFileSync(traceFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as TraceFileSpan);
}

const childrenOf = (all: TraceFileSpan[], parent: TraceFileSpan, name?: string) =>
  all.filter((x) => x.parentSpanId === parent.spanId && x.traceId === parent.traceId && (name === undefined || x.name === name));

function onlyChild(all: TraceFileSpan[], parent: TraceFileSpan, name: string): TraceFileSpan {
  const found = childrenOf(all, parent, name);
  expect(found.map((x) => x.name), `children "${name}" of ${parent.name}`).toEqual([name]);
  return found[0]!;
}

/** The worker half of a page-0 trace: process → job (completed) → token (→ token request); budget; request; store write. */
function expectWorkerSubtree(all: TraceFileSpan[], add: TraceFileSpan, runId: string, tokenFetched: boolean): TraceFileSpan {
  const processes = childrenOf(all, add, 'process sync');
  expect(processes.length).toBeGreaterThanOrEqual(1);
  const jobs = processes.flatMap((p) => childrenOf(all, p, 'okta-sync.job'));
  const job = jobs.find((j) => j.attributes['okta_sync.result'] === 'completed');
  expect(job, 'a completed job span in the enqueuer trace').toBeDefined();
  expect(job!.service).toBe('okta-sync-worker');
  expect(job!.pid).not.toBe(add.pid);
  expect(job!.attributes).toMatchObject({ 'okta_sync.tenant_id': 'acme', 'okta_sync.run_id': runId, 'okta_sync.resource': 'users', 'okta_sync.page': 0 });
  const token = onlyChild(all, job!, 'okta-sync.token.get');
  expect(token.attributes['okta_sync.token.cache']).toBe(tokenFetched ? 'miss' : 'hit');
  const tokenRequests = childrenOf(all, token, 'okta-sync.okta.request');
  if (tokenFetched) {
    expect(tokenRequests.map((r) => r.attributes)).toEqual([
      expect.objectContaining({ 'okta_sync.bucket': 'token', 'http.request.method': 'POST', 'url.path': '/oauth2/v1/token', 'http.response.status_code': 200 }),
    ]);
  }
  const budget = onlyChild(all, job!, 'okta-sync.rate-budget.acquire');
  expect(budget.attributes).toMatchObject({ 'okta_sync.tenant_id': 'acme', 'okta_sync.bucket': 'users', 'okta_sync.rate_budget.granted': true });
  const request = onlyChild(all, job!, 'okta-sync.okta.request');
  expect(request.attributes).toMatchObject({ 'okta_sync.bucket': 'users', 'url.path': '/api/v1/users', 'http.response.status_code': 200, 'okta_sync.retry_count': expect.any(Number) });
  // undici's own span is a child; its URL carries no query string (cursors and filters stay out).
  const http = onlyChild(all, request, 'GET');
  expect(String(http.attributes['url.full'])).not.toContain('?');
  expect(http.attributes['url.query']).toBeUndefined();
  const write = onlyChild(all, job!, 'okta-sync.store.write');
  expect(write.attributes).toMatchObject({ 'okta_sync.object_count': 200, 'okta_sync.object_type': 'user', 'okta_sync.page_new': true });
  expect(token.startMs).toBeLessThanOrEqual(request.startMs);
  expect(request.startMs).toBeLessThanOrEqual(write.startMs);
  return job!;
}

/** Prometheus text → value of one series (labels in any order); undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[3] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[4]);
  }
  return undefined;
}

async function metricsOf(port: number): Promise<string> {
  const res = await probe(port, '/metrics');
  expect(res?.status).toBe(200);
  return res!.body;
}

/** Spends the org's users window with a client of our own, so the run's first page gets a 429. */
async function spendUsersWindow(): Promise<void> {
  const org = sim.orgs[0]!;
  const basic = Buffer.from(`${org.clientId}:${org.clientSecret}`).toString('base64');
  const tokenRes = await fetch(`${org.baseUrl}/oauth2/v1/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials&scope=okta.users.read',
  });
  const { access_token: accessToken } = (await tokenRes.json()) as { access_token: string };
  for (;;) {
    const res = await fetch(`${org.baseUrl}/api/v1/users?limit=1`, { headers: { authorization: `Bearer ${accessToken}` } });
    await res.arrayBuffer();
    if (res.headers.get('x-rate-limit-remaining') === '0') break;
  }
  await fetch(`${org.baseUrl}/__sim/reset-stats`, { method: 'POST', body: '{}' });
}

describe('observability', () => {
  let cliRunId: string;
  let apiRunId: string;

  it('one trace from the CLI `sync` process to the worker: enqueue → job → token → Okta request → store write', async () => {
    const res = await runCli(['sync', 'acme', '--resources', 'users', '--wait', '--json'], env());
    cliOutput.push(res.stdout, res.stderr);
    expect(res.code, res.stderr).toBe(0);
    const run = (JSON.parse(res.stdout) as { runs: { runId: string; status: string }[] }).runs[0]!;
    expect(run.status).toBe('succeeded');
    cliRunId = run.runId;
    const all = spans();
    const adds = all.filter((x) => x.name === 'add sync.page' && x.service === 'okta-sync-cli');
    const add = adds.find((a) => all.some((j) => j.traceId === a.traceId && j.attributes['okta_sync.run_id'] === cliRunId));
    expect(add, 'the CLI enqueue span of the run').toBeDefined();
    expect(add!.parentSpanId).toBeNull();
    expect(add!.kind).toBe(3); // producer
    const job = expectWorkerSubtree(all, add!, cliRunId, true);
    const next = all.find((x) => x.name === 'okta-sync.enqueue-next' && x.attributes['okta_sync.run_id'] === cliRunId && x.attributes['okta_sync.page'] === 1);
    expect(next, 'page 1 starts its own trace').toBeDefined();
    expect(next!.traceId).not.toBe(add!.traceId);
    expect(next!.links).toEqual([{ traceId: job.traceId, spanId: job.spanId }]);
  });

  it('an API request, a forced 429 and the metrics: the worker counts what the simulator and the store saw', async () => {
    await spendUsersWindow();
    const before = await metricsOf(workerPort);
    const res = await fetch(`${apiUrl}/v1/tenants/acme/syncs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ resources: ['users'], mode: 'full' }),
    });
    expect(res.status).toBe(202);
    apiRunId = ((await res.json()) as { runs: { runId: string }[] }).runs[0]!.runId;
    const run = await s.waitForFinal(apiRunId, 30_000);
    expect(run.status).toBe('succeeded');
    expect(run.counters.rateLimited).toBeGreaterThanOrEqual(1);

    const all = spans();
    const add = all.find((x) => x.name === 'add sync.page' && x.service === 'okta-sync-api' && all.some((j) => j.traceId === x.traceId && j.attributes['okta_sync.run_id'] === apiRunId));
    expect(add, 'the API enqueue span of the run').toBeDefined();
    const server = all.find((x) => x.spanId === add!.parentSpanId);
    expect(server?.kind, 'the API request span is the root').toBe(1);
    expect(server?.attributes['url.path'] ?? server?.attributes['http.target']).toBe('/v1/tenants/acme/syncs');
    expect(server?.attributes).not.toHaveProperty('http.request.header.authorization');
    const job = expectWorkerSubtree(all, add!, apiRunId, false);
    // The 429 attempt is in the same trace: delayed, not failed.
    const delayed = all.filter((x) => x.traceId === add!.traceId && x.name === 'okta-sync.job' && x.attributes['okta_sync.result'] === 'delayed');
    expect(delayed.length).toBeGreaterThanOrEqual(1);
    expect(delayed[0]!.status).not.toBe(2);
    const rateLimitedRequest = all.find((x) => x.traceId === add!.traceId && x.name === 'okta-sync.okta.request' && x.attributes['http.response.status_code'] === 429);
    expect(rateLimitedRequest).toBeDefined();
    // Logs inside the job carry its trace: the "page delayed" line of the 429 attempt.
    const delayedLine = worker
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.msg === 'page delayed' && l.runId === apiRunId);
    expect(delayedLine, 'a "page delayed" log line').toBeDefined();
    expect(delayedLine).toMatchObject({ trace_id: job.traceId, tenantId: 'acme', jobId: `${apiRunId}.p0` });
    expect(delayedLine!.span_id).toMatch(/^[0-9a-f]{16}$/);

    // Metrics. Okta requests and 429s of this run exactly as the simulator saw them since its stats
    // were reset (the worker's counters before and after the run), and as the run record counts them.
    const stats = await s.stats(0);
    const cliRun = await s.run(cliRunId);
    const text = await metricsOf(workerPort);
    const delta = (name: string, labels: Record<string, string>) => (sample(text, name, labels) ?? 0) - (sample(before, name, labels) ?? 0);
    const users429 = stats.requestsByBucket.users?.['429'] ?? 0;
    expect(users429).toBeGreaterThanOrEqual(1);
    expect(delta('okta_sync_okta_requests_total', { bucket: 'users', status: '429' })).toBe(users429);
    expect(delta('okta_sync_okta_requests_total', { bucket: 'users', status: '200' })).toBe(stats.requestsByBucket.users?.['200']);
    expect(delta('okta_sync_okta_rate_limited_total', { tenant: 'acme', bucket: 'users' })).toBe(users429);
    expect(run.counters.requests).toBe(stats.apiRequests);
    expect(run.counters.rateLimited).toBe(users429);
    // Since the worker started: two runs of USERS objects, one token fetch (the first run's), the
    // rest served from the process cache.
    expect(sample(text, 'okta_sync_objects_written_total', { tenant: 'acme', type: 'user' })).toBe(2 * USERS);
    expect(cliRun.counters.objects + run.counters.objects).toBe(2 * USERS);
    expect(sample(text, 'okta_sync_token_fetches_total', { tenant: 'acme' })).toBe(cliRun.counters.tokenFetches + run.counters.tokenFetches);
    expect(sample(text, 'okta_sync_token_fetches_total', { tenant: 'acme' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'okta_sync_token_cache_hits_total', { layer: 'l1' })).toBeGreaterThanOrEqual(4);
    expect(sample(text, 'okta_sync_jobs_total', { tenant: 'acme', resource: 'users', result: 'completed' })).toBe(6);
    // Every 429 delays its page (a rate budget may delay more pages before they are sent).
    expect(delta('okta_sync_jobs_total', { tenant: 'acme', resource: 'users', result: 'delayed' })).toBeGreaterThanOrEqual(users429);
    expect(sample(text, 'okta_sync_rate_limit_wait_seconds_total', { tenant: 'acme' })).toBeGreaterThan(0);
    expect(sample(text, 'okta_sync_runs_finished_total', { tenant: 'acme', resource: 'users', status: 'succeeded' })).toBe(2);
    expect(sample(text, 'okta_sync_run_duration_seconds_count', { resource: 'users', status: 'succeeded' })).toBe(2);
    expect(sample(text, 'okta_sync_queue_jobs', { state: 'active' })).toBe(0);
    const apiText = await metricsOf(apiMetricsPort);
    for (const state of ['waiting', 'active', 'failed']) expect(sample(apiText, 'okta_sync_queue_jobs', { state }), state).toBe(0);
    // The one delayed job is the retention scheduler's next tick (issue 15), not a page.
    expect(sample(apiText, 'okta_sync_queue_jobs', { state: 'delayed' }), 'delayed').toBe(1);
  });

  it.each(['http/json', 'http/protobuf'])('exports over OTLP %s to OTEL_EXPORTER_OTLP_ENDPOINT before a CLI process exits', async (protocol) => {
    const received: { path: string; type: string; body: Buffer }[] = [];
    const collector = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ path: req.url ?? '', type: String(req.headers['content-type']), body: Buffer.concat(chunks) });
        res.writeHead(200, { 'content-type': String(req.headers['content-type']) }).end(protocol === 'http/json' ? '{}' : '');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    try {
      const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
      const res = await runCli(['sync', 'acme', '--resources', 'apps', '--json'], box.env({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: protocol }));
      expect(res.code, res.stderr).toBe(0);
      expect(received.map((r) => r.path)).toContain('/v1/traces');
      const body = Buffer.concat(received.map((r) => r.body));
      expect(received[0]!.type).toContain(protocol === 'http/json' ? 'application/json' : 'application/x-protobuf');
      // Protobuf carries the same strings: the enqueue span and the service name.
      expect(body.toString('latin1')).toContain('add sync.page');
      expect(body.toString('latin1')).toContain('okta-sync-cli');
      if (protocol === 'http/json') expect(() => JSON.parse(body.toString('utf8'))).not.toThrow();
    } finally {
      await new Promise((resolve) => collector.close(resolve));
    }
  });

  it('no secret, token, assertion or private key in any span or log line', async () => {
    await Promise.all([stopProcess(worker), stopProcess(api)]);
    const org = sim.orgs[0]!;
    const pemBody = org.privateKeyPem.split('\n').filter((l) => l && !l.startsWith('-----'));
    const haystacks = { spans: readFileSync(traceFile, 'utf8'), worker: worker.output(), api: api.output(), cli: cliOutput.join('\n') };
    expect(haystacks.spans.length).toBeGreaterThan(1_000);
    const needles = [org.clientSecret, box.encryptionKeys.split(':')[1]!, API_KEY, ...pemBody.slice(0, 3), 'PRIVATE KEY', 'eyJ', 'Bearer ', 'client_assertion'];
    for (const [where, text] of Object.entries(haystacks)) {
      for (const needle of needles) expect(text.includes(needle), `${JSON.stringify(needle.slice(0, 12))} in ${where}`).toBe(false);
    }
  });
});
