import { randomBytes } from 'node:crypto';
import type { Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OktaSim } from '../../../src/okta-sim/index.js';
import type { OrgTruth } from '../../../src/okta-sim/truth.js';
import type { Keyring } from '../../../src/shared/crypto.js';
import { asTenantId, newRunId, type TenantId } from '../../../src/shared/ids.js';
import type { RefreshJob } from '../../../src/shared/jobs.js';
import { createLogger } from '../../../src/shared/logger.js';
import { createOktaClient } from '../../../src/shared/okta/okta-client.js';
import type { OktaHttp } from '../../../src/shared/okta/okta-http.js';
import { createTokenService } from '../../../src/shared/okta/token-service.js';
import type { Redis } from '../../../src/shared/redis.js';
import type { SqliteStore } from '../../../src/shared/store/sqlite-store.js';
import { EMPTY_COUNTERS, type ObjectType } from '../../../src/shared/store/sync-store.js';
import { createRefreshProcessor } from '../../../src/workers/watch/refresh-processor.js';
import { startWorkerFixture, type WorkerFixture } from './worker-fixture.js';

/**
 * Refresh jobs in-process against the simulator over HTTP, real Redis and SQLite: what each kind
 * reads and writes, 404s, the ordering guard of membership changes, and a refresh during a full
 * run that the run's final sweep must not undo.
 */
let sim: OktaSim;
let redis: Redis;
let http: OktaHttp;
let store: SqliteStore;
let keyring: Keyring;
let requests = 0;
const tenantId: TenantId = asTenantId('refresh');
let policy: WorkerFixture['policy'];
const queuePrefix = `t-refresh-${randomBytes(4).toString('hex')}`;
let process: (job: Job) => Promise<void>;
let fixture: WorkerFixture;
const results: string[] = [];

beforeAll(async () => {
  fixture = await startWorkerFixture('refresh', { orgs: 1, users: 60, groups: 4, apps: 2, logs: 1, seed: 5, rateLimits: 'unlimited' });
  ({ sim, redis, http, store, keyring, policy } = fixture);
  await fixture.addTenant(tenantId, 0);
  const okta = createOktaClient({ http, tokens: createTokenService(http), onRequest: () => requests++ });
  const processor = createRefreshProcessor({
    store,
    okta,
    redis,
    queuePrefix,
    keyring,
    domainPolicy: policy,
    rateShare: 0.5,
    metrics: { refreshDone: (kind, result) => results.push(`${kind} ${result}`), watchLag: () => undefined },
    logger: createLogger({ level: 'silent' }),
  });
  process = (job) => processor(job);
});

afterAll(async () => {
  await fixture?.close();
});

const truth = async (): Promise<OrgTruth> => (await (await fetch(`${sim.orgs[0]!.baseUrl}/__sim/truth`)).json()) as OrgTruth;
const mutate = async (ops: unknown[]) => {
  const res = await fetch(`${sim.orgs[0]!.baseUrl}/__sim/mutate`, { method: 'POST', body: JSON.stringify(ops) });
  expect(res.status).toBe(200);
  return ((await res.json()) as { results: { id?: string }[] }).results;
};
/** The refresh processor only reads `data` and the attempt fields of a BullMQ job. */
const refresh = (kind: RefreshJob['kind'], id: string, lastPublishedMs = Date.now()) =>
  process({ data: { tenantId, kind, id, published: new Date().toISOString(), lastPublishedMs }, attemptsMade: 0, opts: { attempts: 1 } } as unknown as Job);
const stored = async (type: ObjectType) => (await store.listObjects({ tenantId, type, limit: 10_000, includeDeleted: true })).items;
const aliveIds = async (type: ObjectType) => (await stored(type)).filter((o) => o.deletedAt === null).map((o) => o.oktaId).sort();

/** Seeds the store with the org as a full sync would have left it. */
async function seed(): Promise<void> {
  const t = await truth();
  const runId = newRunId();
  const at = new Date().toISOString();
  const page = (type: ObjectType, objects: { oktaId: string; data: unknown }[]) =>
    store.commitPage({ tenantId, runId, type, pageKey: type, objects: objects.map((o) => ({ ...o, oktaLastUpdated: null })), at });
  await page('user', t.users.map((u) => ({ oktaId: u.id, data: u })));
  await page('group', t.groups.map((g) => ({ oktaId: g.id, data: g })));
  await page('membership', t.memberships.map((m) => ({ oktaId: m, data: {} })));
  await page('app', t.apps.map((a) => ({ oktaId: a.id, data: a })));
  await page('app_user', t.appUsers.map((m) => ({ oktaId: m, data: {} })));
}

describe('refresh jobs', () => {
  beforeAll(seed);

  it('a user re-read writes what Okta has now with one request; a hard-deleted user goes with its memberships and assignments', async () => {
    const t = await truth();
    const [changed, removed] = t.users.filter((u) => t.memberships.some((m) => m.endsWith(`:${u.id}`))).map((u) => u.id);
    await mutate([{ op: 'updateUser', id: changed, profile: { title: 'Refreshed' } }, { op: 'deleteUser', id: removed }]);
    const before = requests;
    await refresh('user', changed!);
    expect(requests - before).toBe(1);
    expect(((await stored('user')).find((o) => o.oktaId === changed)!.data as { profile: { title: string } }).profile.title).toBe('Refreshed');
    // A re-read that finds the user gone (404) marks it deleted, like user.lifecycle.delete.completed does without a request.
    await refresh('user', removed!);
    const after = await truth();
    expect(await aliveIds('user')).toEqual(after.users.map((u) => u.id).sort());
    expect(await aliveIds('membership')).toEqual([...after.memberships].sort());
    expect(await aliveIds('app_user')).toEqual([...after.appUsers].sort());
    expect(results.slice(-2)).toEqual(['user written', 'user deleted']);
  });

  it('membership changes need no request, and one older than a change already applied is skipped', async () => {
    const t = await truth();
    const [groupId, userId] = t.memberships[0]!.split(':') as [string, string];
    const id = `${groupId}:${userId}`;
    const before = requests;
    await refresh('membership_remove', id, 2_000);
    expect(await aliveIds('membership')).not.toContain(id);
    await refresh('membership_add', id, 1_000); // delivered late: older than the removal
    expect(await aliveIds('membership')).not.toContain(id);
    await refresh('membership_add', id, 3_000);
    expect(await aliveIds('membership')).toContain(id);
    await refresh('membership_add', id, 3_000); // the same change again: the same state
    expect(await aliveIds('membership')).toContain(id);
    expect(requests).toBe(before);
    expect(results.slice(-4)).toEqual(['membership_remove deleted', 'membership_add skipped', 'membership_add written', 'membership_add written']);
  });

  it('a deleted group goes with its memberships; a removed app assignment is re-read as gone', async () => {
    const t = await truth();
    const group = t.groups.find((g) => t.memberships.some((m) => m.startsWith(`${g.id}:`)))!.id;
    const assignment = t.appUsers[0]!;
    const [appId, userId] = assignment.split(':');
    await mutate([{ op: 'deleteGroup', id: group }, { op: 'unassignApp', appId, userId }]);
    await refresh('group', group);
    await refresh('app_user', assignment);
    const after = await truth();
    expect(await aliveIds('group')).toEqual(after.groups.map((g) => g.id).sort());
    expect(await aliveIds('membership')).toEqual([...after.memberships].sort());
    expect(await aliveIds('app_user')).toEqual([...after.appUsers].sort());
    await mutate([{ op: 'assignApp', appId, userId }]);
    await refresh('app_user', assignment);
    expect(((await stored('app_user')).find((o) => o.oktaId === assignment)!.data as { appId: string; id: string })).toMatchObject({ appId, id: userId });
  });

  it("a user created during a full users run, refreshed after the run listed past it, survives the run's sweep", async () => {
    const { run } = await store.createRunUnlessActive({
      runId: newRunId(), tenantId, resource: 'users', mode: 'full', status: 'running', createdAt: new Date().toISOString(),
      startedAt: new Date().toISOString(), finishedAt: null, counters: { ...EMPTY_COUNTERS }, error: null, warnings: [],
    });
    // The run listed every user it saw...
    const t = await truth();
    await store.commitPage({ tenantId, runId: run.runId, type: 'user', pageKey: 'p0', objects: t.users.map((u) => ({ oktaId: u.id, data: u, oktaLastUpdated: u.lastUpdated })), at: new Date().toISOString() });
    // ...then a user is created and the watch refreshes it, then the run ends with its sweep.
    const [{ id: created }] = (await mutate([{ op: 'addUser', profile: { firstName: 'Midrun' } }])) as [{ id: string }];
    await refresh('user', created);
    await store.sweep({ tenantId, type: 'user', runId: run.runId, at: new Date().toISOString() });
    expect(await aliveIds('user')).toContain(created);
    expect(await aliveIds('user')).toEqual((await truth()).users.map((u) => u.id).sort());
  });
});
