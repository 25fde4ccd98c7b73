import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OktaSim } from '../../../src/okta-sim/index.js';
import type { OrgTruth } from '../../../src/okta-sim/truth.js';
import type { Keyring } from '../../../src/shared/crypto.js';
import { asTenantId, newRunId, type TenantId } from '../../../src/shared/ids.js';
import { type PageJob, pageJobId } from '../../../src/shared/jobs.js';
import { type OktaClient, createOktaClient, emptyStats } from '../../../src/shared/okta/okta-client.js';
import { credentialsOf } from '../../../src/shared/okta/okta-credentials.js';
import type { OktaHttp } from '../../../src/shared/okta/okta-http.js';
import { createTokenService } from '../../../src/shared/okta/token-service.js';
import type { Redis } from '../../../src/shared/redis.js';
import type { Resource } from '../../../src/shared/resources.js';
import type { SqliteStore } from '../../../src/shared/store/sqlite-store.js';
import { EMPTY_COUNTERS, type RunRecord, type SyncMode } from '../../../src/shared/store/sync-store.js';
import { createFanOut } from '../../../src/workers/fan-out.js';
import { type PageStepDeps, runPageStep } from '../../../src/workers/page-step.js';
import { RESOURCE_SYNCS } from '../../../src/workers/resources/index.js';
import { createRunFinisher } from '../../../src/workers/run-finisher.js';
import { startWorkerFixture, type WorkerFixture } from './worker-fixture.js';

/**
 * The page step in-process against the simulator, real Redis and SQLite, with a queue stand-in
 * that (like BullMQ) ignores a job id it has seen, so the order of jobs, retries and crashes can
 * be chosen: a fan-out run holds at most window + 1 jobs, a group deleted mid-run is skipped, and
 * every job run twice or crashing after its side effects leaves the same result.
 */
const WINDOW = 3;
let sim: OktaSim;
let redis: Redis;
let http: OktaHttp;
let store: SqliteStore;
let keyring: Keyring;
const tenantId: TenantId = asTenantId('steps');
let policy: WorkerFixture['policy'];

let fixture: WorkerFixture;

beforeAll(async () => {
  fixture = await startWorkerFixture('steps', { orgs: 1, users: 400, groups: 12, apps: 3, logs: 10, seed: 3, rateLimits: 'unlimited' });
  ({ sim, redis, http, store, keyring, policy } = fixture);
  await fixture.addTenant(tenantId, 0);
});

afterAll(async () => {
  await fixture?.close();
});

/** A run and a queue stand-in for driving its jobs by hand. */
async function harness(
  resource: Resource,
  mode: SyncMode,
  failEnqueueAt?: number,
  wrapOkta: (okta: OktaClient) => OktaClient = (okta) => okta,
  extra: Partial<PageStepDeps> = {},
) {
  const prefix = `{t-steps-${randomBytes(4).toString('hex')}}`;
  const { run } = await store.createRunUnlessActive({
    runId: newRunId(), tenantId, resource, mode, status: 'queued', createdAt: new Date().toISOString(),
    startedAt: null, finishedAt: null, counters: { ...EMPTY_COUNTERS }, error: null, warnings: [],
  });
  const seen = new Set<string>();
  const queue: PageJob[] = [];
  let enqueues = 0;
  let finished = 0;
  const deps: PageStepDeps = {
    store,
    okta: wrapOkta(createOktaClient({ http, tokens: createTokenService(http) })),
    fanOut: createFanOut(redis, prefix, { window: WINDOW }),
    finisher: createRunFinisher({ store, onFinished: () => finished++ }),
    logFirstSyncDays: 7,
    ...extra,
    async enqueuePage(job) {
      if (++enqueues === failEnqueueAt) throw new Error('crash before the enqueue');
      if (seen.has(pageJobId(job))) return;
      seen.add(pageJobId(job));
      queue.push(job);
    },
  };
  queue.push({ tenantId, runId: run.runId, resource, mode, page: 0, url: null });
  seen.add(pageJobId(queue[0]!));
  const step = async (job: PageJob) => {
    const current = (await store.getRun(run.runId))!;
    if (current.status !== 'queued' && current.status !== 'running') return;
    await store.markRunRunning(run.runId, new Date().toISOString());
    const tenant = (await store.getTenant(tenantId))!;
    const stats = emptyStats();
    try {
      await runPageStep(deps, { data: job, run: current, tenant, sync: RESOURCE_SYNCS[resource]!, creds: credentialsOf(tenant, keyring, policy), share: 0.5, stats });
    } finally {
      await store.addRunCounters(run.runId, stats);
    }
  };
  return { run, queue, step, finished: () => finished, final: async () => (await store.getRun(run.runId)) as RunRecord };
}

async function truth(): Promise<OrgTruth> {
  return (await (await fetch(`${sim.orgs[0]!.baseUrl}/__sim/truth`)).json()) as OrgTruth;
}

async function memberships(includeDeleted = false) {
  const page = await store.listObjects({ tenantId, type: 'membership', limit: 100_000, includeDeleted });
  return page.items;
}

/** The real client, with the first item of every page stripped of `key` (Okta marks no field required). */
const stripping = (key: 'id' | 'uuid') => (okta: OktaClient): OktaClient => ({
  async getPage(...args) {
    const page = await okta.getPage(...args);
    const [first, ...rest] = page.items as Record<string, unknown>[];
    if (!first) return page;
    const { [key]: _gone, ...keyless } = first;
    return { ...page, items: [keyless, ...rest] };
  },
  call: (...args) => okta.call(...args),
});

describe('items without their key', () => {
  it.each([
    ['users', 'id', 'user', 'skipped users items without an id from Okta'],
    ['memberships', 'id', 'membership', 'skipped membership items without an id from Okta'],
    ['logs', 'uuid', 'log_event', 'skipped logs items without a uuid from Okta'],
  ] as const)('%s: an item without its %s is skipped and the run succeeds with a warning', async (resource, key, type, warning) => {
    const h = await harness(resource, 'full', undefined, stripping(key));
    while (h.queue.length > 0) await h.step(h.queue.shift()!);
    const run = await h.final();
    expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
    expect(run.warnings).toContain(warning);
    const stored = (await store.listObjects({ tenantId, type, limit: 100_000, includeDeleted: false })).items;
    expect(stored.length).toBeGreaterThan(0);
    expect(run.counters.objects).toBeGreaterThan(0);
  });
});

describe('page step', () => {
  it('fans out at most WINDOW member chains at once; every job run twice changes nothing', async () => {
    const h = await harness('memberships', 'full');
    let most = 0;
    while (h.queue.length > 0) {
      most = Math.max(most, h.queue.filter((j) => j.parentId !== undefined).length);
      const job = h.queue.shift()!;
      await h.step(job);
      await h.step(job); // a retry after the job's side effects: a no-op
    }
    expect(most).toBe(WINDOW);
    const t = await truth();
    expect((await memberships()).map((m) => m.oktaId).sort()).toEqual(t.memberships);
    const run = await h.final();
    expect(run.status).toBe('succeeded');
    expect(run.counters.objects).toBe(t.memberships.length);
    expect(h.finished()).toBe(1);
  });

  it('a crash between the fan-out step and the enqueue loses no chain', async () => {
    for (const failAt of [1, 2, 5]) {
      const h = await harness('memberships', 'full', failAt);
      let crashes = 0;
      while (h.queue.length > 0) {
        const job = h.queue[0]!;
        try {
          await h.step(job);
          h.queue.shift();
        } catch (error) {
          expect((error as Error).message).toBe('crash before the enqueue');
          crashes++; // the job stays at the head and is retried
        }
      }
      expect(crashes).toBe(1);
      expect((await h.final()).status).toBe('succeeded');
      expect((await memberships()).map((m) => m.oktaId).sort()).toEqual((await truth()).memberships);
    }
  });

  it('skips a group deleted mid-run (404) and marks its stored memberships deleted', async () => {
    const before = await truth();
    const h = await harness('memberships', 'full');
    await h.step(h.queue.shift()!); // the group listing: WINDOW chains started, the rest wait
    const waiting = before.groups.map((g) => g.id).filter((g) => before.memberships.some((m) => m.startsWith(`${g}:`)));
    const started = h.queue.map((j) => j.parentId);
    const victim = started[1]!; // queued but not run yet: its member listing will 404
    const res = await fetch(`${sim.orgs[0]!.baseUrl}/__sim/mutate`, { method: 'POST', body: JSON.stringify({ op: 'deleteGroup', id: victim }) });
    expect(res.status).toBe(200);
    while (h.queue.length > 0) await h.step(h.queue.shift()!);
    expect(waiting).toContain(victim);
    const run = await h.final();
    expect(run.status).toBe('succeeded');
    const after = await truth();
    expect((await memberships()).map((m) => m.oktaId).sort()).toEqual(after.memberships);
    const gone = (await memberships(true)).filter((m) => m.oktaId.startsWith(`${victim}:`));
    expect(gone.length).toBeGreaterThan(0);
    expect(gone.every((m) => m.deletedAt !== null)).toBe(true);
  });

  it('an incremental run sweeps a group emptied since the last run without listing its members', async () => {
    const t = await truth();
    const membersOf = (g: string) => t.memberships.filter((m) => m.startsWith(`${g}:`));
    const group = t.groups
      .map((g) => g.id)
      .filter((g) => membersOf(g).length > 0)
      .sort((a, b) => membersOf(a).length - membersOf(b).length)[0]!;
    const ops = membersOf(group).map((m) => ({ op: 'removeMember', groupId: group, userId: m.split(':')[1] }));
    expect((await fetch(`${sim.orgs[0]!.baseUrl}/__sim/mutate`, { method: 'POST', body: JSON.stringify(ops) })).status).toBe(200);
    const h = await harness('memberships', 'incremental');
    while (h.queue.length > 0) await h.step(h.queue.shift()!);
    const run = await h.final();
    expect(run.status).toBe('succeeded');
    // Only the group listing: the emptied group says usersCount 0, so no member request is needed.
    expect(run.counters.requests).toBe(1);
    expect(run.counters.deleted).toBe(membersOf(group).length);
    expect((await memberships()).map((m) => m.oktaId).sort()).toEqual((await truth()).memberships);
  });

  it("a logs run hands each polling page's events on before its cursor moves past them (the watch's seam)", async () => {
    const ops = [{ op: 'addUser', profile: { firstName: 'Seen' } }, { op: 'addLogEvents', count: 3, eventType: 'user.session.start' }];
    expect((await fetch(`${sim.orgs[0]!.baseUrl}/__sim/mutate`, { method: 'POST', body: JSON.stringify(ops) })).status).toBe(200);
    const handed: { uuids: string[]; cursorThen: string | undefined }[] = [];
    const h = await harness('logs', 'full', undefined, undefined, {
      async onPolledEvents(id, items) {
        expect(id).toBe(tenantId);
        handed.push({ uuids: items.map((e) => (e as { uuid: string }).uuid), cursorThen: await store.getWatermark(tenantId, 'logs') });
      },
    });
    const cursorBefore = await store.getWatermark(tenantId, 'logs');
    while (h.queue.length > 0) await h.step(h.queue.shift()!);
    expect((await h.final()).status).toBe('succeeded');
    const stored = (await store.listObjects({ tenantId, type: 'log_event', limit: 100_000 })).items.map((o) => o.oktaId);
    const forwarded = handed.flatMap((p) => p.uuids);
    expect(forwarded.length).toBeGreaterThanOrEqual(4);
    expect(forwarded.every((u) => stored.includes(u))).toBe(true);
    // The first page was handed on while the cursor still pointed before it.
    expect(handed[0]!.cursorThen).toBe(cursorBefore);
    expect(await store.getWatermark(tenantId, 'logs')).not.toBe(cursorBefore);
  });
});
