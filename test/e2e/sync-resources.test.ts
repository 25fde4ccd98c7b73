import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OktaSim, startOktaSim } from '../../src/okta-sim/index.js';
import type { OrgTruth } from '../../src/okta-sim/truth.js';
import type { RunRecord } from '../../src/shared/store/sync-store.js';
import { createSandbox, type Sandbox } from '../helpers/fixtures.js';
import { startCliProcess, stopProcess } from '../helpers/processes.js';
import { addTenant, alive, ids, mutate, runOf, simJson, storedObjects, syncAndWait, truthOf } from './sync-harness.js';

/**
 * Issue 6 acceptance with the simulator and two real worker processes: a full sync of every
 * resource equals the org's ground truth; after mutations an incremental sync picks up every
 * change it can see with far fewer requests; a following full sync marks what vanished deleted.
 */
let sim: OktaSim;
let box: Sandbox;
let workers: ReturnType<typeof startCliProcess>[] = [];
const ALL = ['users', 'groups', 'memberships', 'apps', 'logs'];
const INCREMENTAL = ['users', 'groups', 'memberships'];

beforeAll(async () => {
  box = createSandbox('sync-resources');
  sim = await startOktaSim({ orgs: 1, users: 2_000, groups: 60, apps: 4, logs: 400, seed: 6, rateLimits: 'unlimited' });
  workers = [1, 2].map(() => startCliProcess(['worker', '--concurrency', '6'], box.env()));
  await addTenant(box, sim, 'acme', 0);
});

afterAll(async () => {
  await Promise.all(workers.map((w) => stopProcess(w)));
  await sim?.close();
  box?.cleanup();
});

const requestsOf = (runs: RunRecord[], resources: string[]) =>
  runs.filter((r) => resources.includes(r.resource)).reduce((n, r) => n + r.counters.requests, 0);

async function expectStoreEqualsTruth(truth: OrgTruth): Promise<void> {
  const users = alive(await storedObjects(box, 'acme', 'user'));
  expect(ids(users)).toEqual(truth.users.map((u) => u.id).sort());
  const statusOf = new Map(users.map((u) => [u.oktaId, (u.data as { status: string }).status]));
  for (const u of truth.users) expect(statusOf.get(u.id), u.id).toBe(u.status);
  expect(truth.users.some((u) => u.status === 'DEPROVISIONED')).toBe(true);

  const groups = alive(await storedObjects(box, 'acme', 'group'));
  expect(ids(groups)).toEqual(truth.groups.map((g) => g.id).sort());
  const members = new Map<string, number>();
  for (const m of truth.memberships) members.set(m.split(':')[0]!, (members.get(m.split(':')[0]!) ?? 0) + 1);
  for (const g of groups) {
    expect((g.data as { _embedded: { stats: { usersCount: number } } })._embedded.stats.usersCount, g.oktaId).toBe(members.get(g.oktaId) ?? 0);
  }
  expect(ids(alive(await storedObjects(box, 'acme', 'membership')))).toEqual(truth.memberships);
}

describe('sync engine: every resource, full and incremental', () => {
  let full: RunRecord[];
  let truth: OrgTruth;

  it('a full sync of all resources equals the ground truth, each object written once', async () => {
    full = await syncAndWait(box, 'acme', ALL);
    truth = await truthOf(sim, 0);
    await expectStoreEqualsTruth(truth);
    expect(ids(alive(await storedObjects(box, 'acme', 'app')))).toEqual(truth.apps.map((a) => a.id).sort());
    expect(ids(alive(await storedObjects(box, 'acme', 'app_user')))).toEqual(truth.appUsers);
    expect(ids(await storedObjects(box, 'acme', 'log_event'))).toEqual(truth.logEvents.map((e) => e.uuid).sort());
    // No duplicates: the store is keyed, so check that no page was fetched or counted twice.
    expect(runOf(full, 'users').counters.objects).toBe(truth.users.length);
    expect(runOf(full, 'memberships').counters.objects).toBe(truth.memberships.length);
    expect(runOf(full, 'apps').counters.objects).toBe(truth.apps.length + truth.appUsers.length);
    expect(runOf(full, 'logs').counters.objects).toBe(truth.logEvents.length);
    // An empty group costs no member request: the listing, plus pages of 200 (the spec's recommended
    // limit) for each non-empty group.
    const sizes = new Map<string, number>();
    for (const m of truth.memberships) sizes.set(m.split(':')[0]!, (sizes.get(m.split(':')[0]!) ?? 0) + 1);
    expect(sizes.size).toBeLessThan(truth.groups.length);
    const memberPages = [...sizes.values()].reduce((n, size) => n + Math.ceil(size / 200), 0);
    expect(runOf(full, 'memberships').counters.requests).toBe(1 + memberPages);
  });

  it('an incremental sync picks up every change with far fewer requests; a full sync then marks what vanished', async () => {
    const [everyone, ...groups] = truth.groups.map((g) => g.id);
    const inGroup = (g: string) => truth.memberships.filter((m) => m.startsWith(`${g}:`)).map((m) => m.split(':')[1]!);
    const [g1, g2, g3, g4, gDeleted] = groups.filter((g) => inGroup(g).length > 0);
    const users = truth.users.filter((u) => u.status === 'ACTIVE').map((u) => u.id);
    const removed = inGroup(g4!)[0]!;
    const notInG3 = users.find((u) => !inGroup(g3!).includes(u))!;
    const [updated, deprovisioned] = users.filter((u) => u !== removed && u !== notInG3);
    // Deleting a user touches every group it is in; a member of the deleted group would stay
    // stored under it until a full run, so take one that is not.
    const groupCount = new Map<string, number>();
    for (const m of truth.memberships) groupCount.set(m.split(':')[1]!, (groupCount.get(m.split(':')[1]!) ?? 0) + 1);
    const groupsOf = (u: string) => groupCount.get(u) ?? 0;
    const hardDeleted = users
      .filter((u) => ![updated, deprovisioned, removed, notInG3].includes(u) && !inGroup(gDeleted!).includes(u))
      .sort((a, b) => groupsOf(a) - groupsOf(b))[0];
    const results = await mutate(sim, 0, [
      { op: 'updateUser', id: updated, profile: { title: 'Chief Syncing Officer' } },
      { op: 'deprovisionUser', id: deprovisioned },
      { op: 'addUser', profile: { firstName: 'Newt' }, groupIds: [g1, g2] },
      { op: 'addMember', groupId: g3, userId: notInG3 },
      { op: 'removeMember', groupId: g4, userId: removed },
      { op: 'deleteUser', id: hardDeleted },
      { op: 'deleteGroup', id: gDeleted },
      { op: 'addGroup', name: 'Brand new' },
    ]);
    const added = results[2]!.id!;
    const newGroup = results[7]!.id!;
    const after = await truthOf(sim, 0);
    const before = (await simJson<{ apiRequests: number }>(sim, 0, '/__sim/stats')).apiRequests;

    const incremental = await syncAndWait(box, 'acme', INCREMENTAL, 'incremental');
    const served = (await simJson<{ apiRequests: number }>(sim, 0, '/__sim/stats')).apiRequests - before;
    expect(served).toBe(requestsOf(incremental, INCREMENTAL));
    const ratio = requestsOf(incremental, INCREMENTAL) / requestsOf(full, INCREMENTAL);
    const each = INCREMENTAL.map((r) => `${r} ${runOf(incremental, r).counters.requests}/${runOf(full, r).counters.requests}`).join(', ');
    process.stderr.write(`[sync-resources] incremental/full requests: ${requestsOf(incremental, INCREMENTAL)}/${requestsOf(full, INCREMENTAL)} = ${ratio.toFixed(3)} (${each})\n`);
    expect(ratio).toBeLessThan(0.3);

    const users1 = new Map((await storedObjects(box, 'acme', 'user', true)).map((u) => [u.oktaId, u]));
    expect((users1.get(updated!)!.data as { profile: { title?: string } }).profile.title).toBe('Chief Syncing Officer');
    expect((users1.get(deprovisioned!)!.data as { status: string }).status).toBe('DEPROVISIONED');
    expect(users1.get(added)?.deletedAt).toBeNull();
    expect(ids(alive([...users1.values()]))).toEqual([...after.users.map((u) => u.id), hardDeleted!].sort()); // hard deletes need a full run
    const groups1 = alive(await storedObjects(box, 'acme', 'group'));
    expect(ids(groups1)).toContain(newGroup);
    // Groups whose membership moved were re-read too, so their usersCount is current.
    const countOf = (g: string) => (groups1.find((o) => o.oktaId === g)!.data as { _embedded: { stats: { usersCount: number } } })._embedded.stats.usersCount;
    for (const g of [g1!, g2!, g3!, g4!, everyone!]) expect(countOf(g), g).toBe(after.memberships.filter((m) => m.startsWith(`${g}:`)).length);
    // Memberships: exact, except those of the deleted group (invisible to an incremental query).
    const memberships1 = ids(alive(await storedObjects(box, 'acme', 'membership')));
    const ofDeletedGroup = truth.memberships.filter((m) => m.startsWith(`${gDeleted}:`));
    expect(memberships1).toEqual([...after.memberships, ...ofDeletedGroup].sort());
    expect(memberships1).toContain(`${g1}:${added}`);
    expect(memberships1).toContain(`${g3}:${notInG3}`);
    expect(memberships1).not.toContain(`${g4}:${removed}`);
    expect(memberships1.filter((m) => m.endsWith(`:${hardDeleted}`))).toEqual([]);
    expect(memberships1).not.toContain(`${everyone}:${hardDeleted}`);

    const fullAgain = await syncAndWait(box, 'acme', INCREMENTAL);
    await expectStoreEqualsTruth(after);
    const allUsers = await storedObjects(box, 'acme', 'user', true);
    expect(allUsers.find((u) => u.oktaId === hardDeleted)?.deletedAt).not.toBeNull();
    expect((await storedObjects(box, 'acme', 'group', true)).find((g) => g.oktaId === gDeleted)?.deletedAt).not.toBeNull();
    const deletedMemberships = (await storedObjects(box, 'acme', 'membership', true)).filter((m) => m.deletedAt !== null).map((m) => m.oktaId);
    expect(deletedMemberships).toEqual(expect.arrayContaining([`${g4}:${removed}`, ...ofDeletedGroup]));
    expect(runOf(fullAgain, 'users').counters.deleted).toBe(1);
    expect(runOf(fullAgain, 'groups').counters.deleted).toBe(1);
    expect(runOf(fullAgain, 'memberships').counters.deleted).toBe(ofDeletedGroup.length);
  });

  it('fan-out under a tight rate limit: member chains wait without failing and the result is exact', async () => {
    const tight = await startOktaSim({ orgs: 1, users: 300, groups: 8, apps: 1, logs: 1, seed: 8, rateLimits: { groups: 6 }, rateWindowSeconds: 1 });
    try {
      await addTenant(box, tight, 'tight', 0);
      const [run] = await syncAndWait(box, 'tight', ['memberships']);
      const t = await truthOf(tight, 0);
      expect(ids(alive(await storedObjects(box, 'tight', 'membership')))).toEqual(t.memberships);
      expect(run!.counters.objects).toBe(t.memberships.length);
      // 9 groups-bucket requests (listing + 8 member lists) against 3 a second (half of 6): the chains were delayed, not failed.
      expect(run!.counters.rateLimitWaitMs).toBeGreaterThan(0);
    } finally {
      await tight.close();
    }
  });
});
