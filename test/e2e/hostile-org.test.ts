import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_ERROR_TEXT_BYTES } from '../../src/shared/clip-text.js';
import { asTenantId, newRunId } from '../../src/shared/ids.js';
import { SYNC_QUEUE } from '../../src/shared/jobs.js';
import { createRedis, keyPrefix } from '../../src/shared/redis.js';
import { openStore } from '../../src/shared/store/open-store.js';
import { EMPTY_COUNTERS, type RunRecord, type SyncStore } from '../../src/shared/store/sync-store.js';
import { createSandbox, type Sandbox } from '../helpers/fixtures.js';
import { runCli, startCliProcess, stopProcess, waitFor } from '../helpers/processes.js';
import { type HostileOrg, MiB, secretDigest, startHostileOrg } from './hostile-org.js';

/**
 * Issue 14: hostile orgs against real worker processes, a real API process, real Redis and
 * SQLite. One stand-in org server (./hostile-org.ts) serves every tenant; the client id picks how
 * it misbehaves. Two workers in turn: the first with the defaults (the memory case), the second
 * with small bounds so that the loop, page-cap and reset cases finish in seconds.
 */
let box: Sandbox;
let org: HostileOrg;
let store: SyncStore;
let redis: ReturnType<typeof createRedis>;
let queue: Queue;

const API_KEY = 'hostile-test-key-0123456789abcdef0123';
const RATE_CLAMP_SECONDS = 3;
const PAGE_CAP = 40;

beforeAll(async () => {
  box = createSandbox('hostile');
  org = await startHostileOrg();
  store = await openStore(box.storeUrl);
  redis = createRedis(box.redisUrl);
  queue = new Queue(SYNC_QUEUE, { connection: redis, prefix: keyPrefix(box.queuePrefix) });
}, 60_000);

afterAll(async () => {
  await queue?.close();
  redis?.disconnect();
  await store?.close();
  await org?.close();
  box?.cleanup();
});

async function addTenant(tenantId: string, clientId: string, secret = `${clientId}-secret`): Promise<void> {
  const res = await runCli(['tenant', 'add', tenantId, '--domain', org.domain, '--client-id', clientId, '--client-secret-stdin'], box.env(), { stdin: `${secret}\n` });
  expect(res.code, res.stderr).toBe(0);
}

async function startSync(tenantId: string, resources = ['users']): Promise<string[]> {
  const res = await runCli(['sync', tenantId, '--resources', resources.join(','), '--json'], box.env());
  expect(res.code, res.stderr).toBe(0);
  expect(res.stdout, res.stderr).toMatch(/^\{/);
  return (JSON.parse(res.stdout) as { runs: { runId: string }[] }).runs.map((r) => r.runId);
}

async function finalRun(runId: string, timeoutMs: number): Promise<RunRecord> {
  return waitFor(
    async () => {
      const run = await store.getRun(runId as RunRecord['runId']);
      return run && run.status !== 'queued' && run.status !== 'running' ? run : undefined;
    },
    timeoutMs,
    `run ${runId} to end`,
  );
}

const bytes = (s: string | undefined | null) => Buffer.byteLength(s ?? '', 'utf8');

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)\s+kB/.exec(status)?.[1]);
  return kb / 1024;
}

describe('hostile org: bounded memory (one worker, concurrency 10, default cap)', () => {
  let worker: ReturnType<typeof startCliProcess>;
  beforeAll(() => {
    worker = startCliProcess(['worker', '--concurrency', '10'], box.env());
  });
  afterAll(async () => {
    if (worker) await stopProcess(worker);
  });

  it('four tenants sending 30 MiB pages at once: peak RSS ≤ 256 MB, every run fails with a short error', async () => {
    const runIds: string[] = [];
    for (const i of [1, 2, 3, 4]) await addTenant(`huge${i}`, `huge-${i}`);
    for (const i of [1, 2, 3, 4]) runIds.push(...(await startSync(`huge${i}`, ['users', 'groups', 'apps', 'memberships'])));
    expect(runIds).toHaveLength(16);
    const runs = await Promise.all(runIds.map((id) => finalRun(id, 150_000)));
    const peak = peakRssMb(worker.pid!);
    process.stderr.write(`[hostile] worker peak RSS (VmHWM) ${peak.toFixed(0)} MB over ${runs.length} runs of 30 MiB pages\n`);
    for (const run of runs) {
      expect(run.status).toBe('failed');
      expect(run.error?.code, JSON.stringify(run.error)).toBe('okta_response_too_large');
      expect(bytes(run.error?.message)).toBeLessThanOrEqual(MAX_ERROR_TEXT_BYTES);
    }
    expect(peak).toBeLessThanOrEqual(256);
    // The stand-in really sent huge pages: many requests, each aborted early.
    expect(org.exchanges.filter((e) => e.kind === 'api' && e.clientId.startsWith('huge-')).length).toBeGreaterThanOrEqual(16);
    expect(worker.exitCode, worker.output()).toBeNull();
  }, 200_000);

  it('ten runs whose pages sit just under the cap, every slot busy: peak RSS stays within the 384 MiB budget', async () => {
    const runIds: string[] = [];
    for (const i of [1, 2, 3, 4, 5]) await addTenant(`nearcap${i}`, `near-cap-${i}`);
    for (const i of [1, 2, 3, 4, 5]) runIds.push(...(await startSync(`nearcap${i}`, ['users', 'groups'])));
    const runs = await Promise.all(runIds.map((id) => finalRun(id, 150_000)));
    const peak = peakRssMb(worker.pid!);
    process.stderr.write(`[hostile] worker peak RSS (VmHWM) ${peak.toFixed(0)} MB after ${runs.length} more runs of pages just under the cap\n`);
    for (const run of runs) {
      expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
      expect(run.counters.objects).toBe(600);
    }
    // The budget's claim (src/workers/memory-budget.ts): a 384 MiB container holds it (measured ~230-305).
    expect(peak).toBeLessThanOrEqual(384);
  }, 200_000);
});

describe('hostile org: loops, resets, error text, forged jobs, new credentials', () => {
  let worker: ReturnType<typeof startCliProcess>;
  let api: ReturnType<typeof startCliProcess>;
  let apiUrl: string;

  beforeAll(async () => {
    worker = startCliProcess(['worker', '--concurrency', '4'], box.env({
      OKTA_SYNC_MAX_RESPONSE_BYTES: String(16 * MiB),
      OKTA_SYNC_MAX_PAGES_PER_RUN: String(PAGE_CAP),
      OKTA_SYNC_MAX_RATE_WAIT_SECONDS: String(RATE_CLAMP_SECONDS),
      LOG_LEVEL: 'info',
    }));
    const port = await freePort();
    apiUrl = `http://127.0.0.1:${port}`;
    api = startCliProcess(['api', '--port', String(port)], box.env({ OKTA_SYNC_API_KEYS: API_KEY }));
    await waitFor(async () => (await fetch(`${apiUrl}/healthz`).catch(() => undefined))?.ok, 30_000, 'the api to listen');
  }, 60_000);

  afterAll(async () => {
    if (worker) await stopProcess(worker);
    if (api) await stopProcess(api);
  });

  it('cycling cursors, new cursors with the same items, new cursors on empty pages, an endless org: each run fails as pagination_loop within 60 s', async () => {
    const cases = ['cycle', 'increasing', 'empty-increasing', 'endless'];
    for (const mode of cases) await addTenant(mode.replace('-', ''), `${mode}-1`);
    const started = Date.now();
    const runIds = await Promise.all(cases.map(async (mode) => (await startSync(mode.replace('-', '')))[0]!));
    const runs = await Promise.all(runIds.map((id) => finalRun(id, 60_000)));
    process.stderr.write(`[hostile] loop runs ended after ${Date.now() - started} ms\n`);
    for (const [i, run] of runs.entries()) {
      expect(run.status, cases[i]).toBe('failed');
      expect(run.error?.code, `${cases[i]}: ${JSON.stringify(run.error)}`).toBe('pagination_loop');
    }
    const endless = runs[3]!;
    expect(endless.error?.message).toContain('OKTA_SYNC_MAX_PAGES_PER_RUN');
    expect(endless.counters.pages).toBeLessThanOrEqual(PAGE_CAP);
    // Caught early, not after thousands of pages.
    for (const run of runs.slice(0, 3)) expect(run.counters.pages).toBeLessThanOrEqual(5);
  }, 90_000);

  it('X-Rate-Limit-Reset: 9999999999 waits no longer than the clamp, then the run finishes', async () => {
    await addTenant('resetbomb', 'reset-bomb-1');
    const started = Date.now();
    const [runId] = await startSync('resetbomb');
    const run = await finalRun(runId!, 60_000);
    expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
    expect(run.counters.rateLimited).toBe(1);
    expect(run.counters.objects).toBe(1);
    expect(run.counters.rateLimitWaitMs).toBeGreaterThan(0);
    expect(run.counters.rateLimitWaitMs).toBeLessThanOrEqual(RATE_CLAMP_SECONDS * 1000 + 1_000);
    const calls = org.exchanges.filter((e) => e.kind === 'api' && e.clientId === 'reset-bomb-1');
    expect(calls.length).toBeGreaterThanOrEqual(2);
    expect(calls[1]!.at - calls[0]!.at).toBeLessThanOrEqual(RATE_CLAMP_SECONDS * 1000 + 2_000);
    process.stderr.write(`[hostile] reset-bomb run took ${Date.now() - started} ms, waited ${run.counters.rateLimitWaitMs} ms\n`);
  }, 90_000);

  it('an 8 MiB errorSummary ends up ≤ 2 KiB in run.error, the logs, the API response and failedReason', async () => {
    await addTenant('errorbomb', 'error-bomb-1');
    const [runId] = await startSync('errorbomb');
    const run = await finalRun(runId!, 60_000);
    expect(run.status).toBe('failed');
    expect(run.error?.code).toBe('okta_bad_request');
    expect(run.error?.message).toContain('Api validation failed');
    expect(bytes(run.error?.message)).toBeLessThanOrEqual(MAX_ERROR_TEXT_BYTES);
    const res = await fetch(`${apiUrl}/v1/runs/${runId}`, { headers: { authorization: `Bearer ${API_KEY}` } });
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(bytes(body)).toBeLessThan(8 * 1024);
    expect(bytes((JSON.parse(body) as RunRecord).error?.message)).toBeLessThanOrEqual(MAX_ERROR_TEXT_BYTES);
    const job = await waitFor(async () => {
      const j = await queue.getJob(`${runId}.p0`);
      return j?.failedReason ? j : undefined;
    }, 30_000, 'the failed page job');
    expect(bytes(job.failedReason)).toBeLessThanOrEqual(MAX_ERROR_TEXT_BYTES);
    await waitFor(async () => worker.output().includes(runId!), 10_000, 'the run failure logged');
    const longest = Math.max(...worker.output().split('\n').map(bytes));
    expect(longest).toBeLessThanOrEqual(MAX_ERROR_TEXT_BYTES + 1_024);
    expect(worker.output()).not.toContain('x'.repeat(MAX_ERROR_TEXT_BYTES));
  }, 90_000);

  it("a job with tenant A's id and tenant B's run id, injected straight into the queue, is refused: B's data untouched", async () => {
    await addTenant('honesta', 'honest-1');
    await addTenant('honestb', 'honest-2');
    for (const id of ['honesta', 'honestb']) {
      const [runId] = await startSync(id);
      expect((await finalRun(runId!, 60_000)).status).toBe('succeeded');
    }
    const tenantB = asTenantId('honestb');
    const before = (await store.listObjects({ tenantId: tenantB, type: 'user', limit: 10 })).items;
    expect(before.filter((o) => o.deletedAt === null)).toHaveLength(2);
    // An active run of B (as if B's next sync had just been queued).
    const bRun: RunRecord = {
      runId: newRunId(),
      tenantId: tenantB,
      resource: 'users',
      mode: 'full',
      status: 'queued',
      createdAt: new Date().toISOString(),
      startedAt: null,
      finishedAt: null,
      counters: { ...EMPTY_COUNTERS },
      error: null,
      warnings: [],
    };
    expect((await store.createRunUnlessActive(bRun)).created).toBe(true);
    const aCallsBefore = org.exchanges.filter((e) => e.clientId === 'honest-1').length;
    const forged = await queue.add(
      'page',
      { tenantId: 'honesta', runId: bRun.runId, resource: 'users', mode: 'full', page: 0, url: null },
      { jobId: `forged-${bRun.runId}`, attempts: 8 },
    );
    const refused = await waitFor(async () => {
      // State first, then the job: a job read before it failed has no failedReason yet.
      if ((await queue.getJobState(forged.id!)) !== 'failed') return undefined;
      return queue.getJob(forged.id!);
    }, 30_000, 'the forged job to be refused');
    expect(refused.attemptsMade, "refused for good, never retried").toBeLessThanOrEqual(1);
    expect(refused.failedReason).toContain('refused');
    await waitFor(async () => worker.output().includes('job_tenant_mismatch'), 10_000, 'a security log line');
    // Give the worker's 'failed' handler its chance to (wrongly) end B's run.
    await new Promise((r) => setTimeout(r, 1_000));
    const after = await store.getRun(bRun.runId);
    expect(after?.status).toBe('queued');
    expect(after?.counters).toEqual(EMPTY_COUNTERS);
    expect(after?.error).toBeNull();
    const objects = (await store.listObjects({ tenantId: tenantB, type: 'user', limit: 10, includeDeleted: true })).items;
    expect(objects).toEqual(before);
    // A's credentials were never used for it: no token request, no API call from A since.
    expect(org.exchanges.filter((e) => e.clientId === 'honest-1').length).toBe(aCallsBefore);
  }, 120_000);

  it('a new secret for a tenant (tenant add again) is used by the next request: the cached token is retired', async () => {
    await addTenant('rotating', 'honest-3', 'first-secret');
    const [first] = await startSync('rotating');
    expect((await finalRun(first!, 60_000)).status).toBe('succeeded');
    const mark = org.exchanges.length;
    await addTenant('rotating', 'honest-3', 'second-secret');
    const [second] = await startSync('rotating');
    expect((await finalRun(second!, 60_000)).status).toBe('succeeded');
    const since = org.exchanges.slice(mark).filter((e) => e.clientId === 'honest-3');
    expect(since.filter((e) => e.kind === 'token').map((e) => e.secret)).toEqual([secretDigest('second-secret')]);
    const apiCalls = since.filter((e) => e.kind === 'api');
    expect(apiCalls.length).toBeGreaterThanOrEqual(1);
    for (const call of apiCalls) expect(call.secret).toBe(secretDigest('second-secret'));
  }, 120_000);
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
