import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OktaSim, startOktaSim } from '../../../src/okta-sim/index.js';
import { putTenant } from '../../../src/producer/tenant-service.js';
import type { Keyring } from '../../../src/shared/crypto.js';
import { asTenantId, newRunId, type TenantId } from '../../../src/shared/ids.js';
import { type PageJob, pageJobId } from '../../../src/shared/jobs.js';
import { createOktaClient, emptyStats } from '../../../src/shared/okta/okta-client.js';
import { credentialsOf } from '../../../src/shared/okta/okta-credentials.js';
import type { OktaHttp } from '../../../src/shared/okta/okta-http.js';
import { createTokenService } from '../../../src/shared/okta/token-service.js';
import type { Redis } from '../../../src/shared/redis.js';
import type { SqliteStore } from '../../../src/shared/store/sqlite-store.js';
import { EMPTY_COUNTERS, type RunRecord } from '../../../src/shared/store/sync-store.js';
import { createFanOut } from '../../../src/workers/fan-out.js';
import { type PageStepDeps, runPageStep } from '../../../src/workers/page-step.js';
import { RESOURCE_SYNCS } from '../../../src/workers/resources/index.js';
import { createRunFinisher } from '../../../src/workers/run-finisher.js';
import { startWorkerFixture, type WorkerFixture } from './worker-fixture.js';

/**
 * Partitioned full users runs driven job by job (a queue stand-in that ignores a job id it has
 * seen, like BullMQ): a large org is listed as several ranges and stored exactly, also when every
 * job runs twice (a retry after its side effects), and a one-page org stays one request.
 */
let sim: OktaSim;
let redis: Redis;
let http: OktaHttp;
let store: SqliteStore;
let keyring: Keyring;
let policy: WorkerFixture['policy'];

let fixture: WorkerFixture;

beforeAll(async () => {
  // Unlimited rate: the rate budget says the 8 cursors allowed are worth it.
  fixture = await startWorkerFixture('partitioned', { orgs: 2, users: 3_000, groups: 1, apps: 1, logs: 1, seed: 21, rateLimits: 'unlimited' });
  ({ sim, redis, http, store, keyring, policy } = fixture);
});

afterAll(async () => {
  await fixture?.close();
});

async function harness(tenantId: TenantId, orgIndex: number) {
  await fixture.addTenant(tenantId, orgIndex);
  const { run } = await store.createRunUnlessActive({
    runId: newRunId(), tenantId, resource: 'users', mode: 'full', status: 'queued', createdAt: new Date().toISOString(),
    startedAt: null, finishedAt: null, counters: { ...EMPTY_COUNTERS }, error: null, warnings: [],
  });
  const seen = new Set<string>();
  const queue: PageJob[] = [];
  let finished = 0;
  const deps: PageStepDeps = {
    store,
    okta: createOktaClient({ http, tokens: createTokenService(http) }),
    fanOut: createFanOut(redis, `{t-part-${randomBytes(4).toString('hex')}}`),
    finisher: createRunFinisher({ store, onFinished: () => finished++ }),
    logFirstSyncDays: 7,
    maxCursors: 8,
    async enqueuePage(job) {
      if (seen.has(pageJobId(job))) return;
      seen.add(pageJobId(job));
      queue.push(job);
    },
  };
  queue.push({ tenantId, runId: run.runId, resource: 'users', mode: 'full', page: 0, url: null });
  const step = async (job: PageJob) => {
    const current = (await store.getRun(run.runId))!;
    if (current.status !== 'queued' && current.status !== 'running') return;
    await store.markRunRunning(run.runId, new Date().toISOString());
    const tenant = (await store.getTenant(tenantId))!;
    const stats = emptyStats();
    try {
      await runPageStep(deps, { data: job, run: current, tenant, sync: RESOURCE_SYNCS.users!, creds: credentialsOf(tenant, keyring, policy), share: 0.5, stats });
    } finally {
      await store.addRunCounters(run.runId, stats);
    }
  };
  return { queue, step, finished: () => finished, final: async () => (await store.getRun(run.runId)) as RunRecord };
}

const truthIds = async (orgIndex: number) =>
  ((await (await fetch(`${sim.orgs[orgIndex]!.baseUrl}/__sim/truth`)).json()) as { users: { id: string }[] }).users.map((u) => u.id).sort();
const storedIds = async (tenantId: TenantId) => (await store.listObjects({ tenantId, type: 'user', limit: 100_000 })).items.map((o) => o.oktaId).sort();

describe('partitioned full users run, job by job', () => {
  it('lists several ranges at once and stores exactly the org, counting each user once', async () => {
    const tenantId = asTenantId('part-a');
    const h = await harness(tenantId, 0);
    let ranges = 0;
    let most = 0;
    while (h.queue.length > 0) {
      most = Math.max(most, h.queue.length);
      const job = h.queue.shift()!;
      if (job.range !== undefined && job.page === 0) ranges++;
      await h.step(job);
    }
    expect(ranges).toBeGreaterThanOrEqual(8);
    expect(most).toBeGreaterThanOrEqual(8);
    const run = await h.final();
    expect(run.status).toBe('succeeded');
    expect(h.finished()).toBe(1);
    expect(await storedIds(tenantId)).toEqual(await truthIds(0));
    expect(run.counters.objects).toBe(3_000);
  });

  it('every job run twice (a retry after its side effects) still stores exactly the org and finishes once', async () => {
    const tenantId = asTenantId('part-b');
    const h = await harness(tenantId, 0);
    while (h.queue.length > 0) {
      // Last in, first out: chains interleave differently from the first test.
      const job = h.queue.pop()!;
      await h.step(job);
      await h.step(job);
    }
    expect((await h.final()).status).toBe('succeeded');
    expect(h.finished()).toBe(1);
    expect(await storedIds(tenantId)).toEqual(await truthIds(0));
  });

  it('a one-page org is one request', async () => {
    const small = await startOktaSim({ users: 150, groups: 1, apps: 1, logs: 1, seed: 2, rateLimits: 'unlimited' });
    try {
      const tenantId = asTenantId('part-small');
      const org = small.orgs[0]!;
      await putTenant({ store, keyring, domainPolicy: policy }, { tenantId, oktaDomain: org.domain, clientId: org.clientId, clientSecret: org.clientSecret });
      const { run } = await store.createRunUnlessActive({
        runId: newRunId(), tenantId, resource: 'users', mode: 'full', status: 'queued', createdAt: new Date().toISOString(),
        startedAt: null, finishedAt: null, counters: { ...EMPTY_COUNTERS }, error: null, warnings: [],
      });
      const queue: PageJob[] = [];
      const deps: PageStepDeps = {
        store,
        okta: createOktaClient({ http, tokens: createTokenService(http) }),
        fanOut: createFanOut(redis, `{t-part-${randomBytes(4).toString('hex')}}`),
        finisher: createRunFinisher({ store }),
        logFirstSyncDays: 7,
        maxCursors: 8,
        enqueuePage: async (job) => void queue.push(job),
      };
      const tenant = (await store.getTenant(tenantId))!;
      const stats = emptyStats();
      await runPageStep(deps, { data: { tenantId, runId: run.runId, resource: 'users', mode: 'full', page: 0, url: null }, run, tenant, sync: RESOURCE_SYNCS.users!, creds: credentialsOf(tenant, keyring, policy), share: 0.5, stats });
      expect(queue).toHaveLength(0);
      expect(small.org(0).stats().apiRequests).toBe(1);
      const final = await store.getRun(run.runId);
      expect(final?.status).toBe('succeeded');
      expect(final?.counters).toMatchObject({ requests: 1, pages: 1, objects: 150 });
    } finally {
      await small.close();
    }
  });
});
