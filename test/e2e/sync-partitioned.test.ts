import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OktaSim, startOktaSim } from '../../src/okta-sim/index.js';
import type { SimStatsSnapshot } from '../../src/okta-sim/stats.js';
import { asTenantId } from '../../src/shared/ids.js';
import { SqliteStore } from '../../src/shared/store/sqlite-store.js';
import type { RunRecord } from '../../src/shared/store/sync-store.js';
import { type Sandbox, createSandbox } from '../helpers/fixtures.js';
import { runCli, startCliProcess, stopProcess, waitFor } from '../helpers/processes.js';
import { addTenant, alive, ids, mutate, simJson, storedObjects, syncAndWait, truthOf } from './sync-harness.js';

/**
 * Issue 13 acceptance with real worker processes against a simulator with page latency: a full
 * users run listed as several `created` ranges at once stores exactly the org's users, also when
 * users are created, updated, deprovisioned and hard-deleted while it runs (the next runs catch
 * what a full run cannot see), loses nothing when a worker is SIGKILLed, and its sweep marks
 * exactly the deleted users.
 */
const USERS = 4_000; // 20 pages of 200
let sim: OktaSim;
let box: Sandbox;

beforeAll(async () => {
  box = createSandbox('partitioned');
  // 6 000/min at share 0.5 is 50 requests/s: at ~150 ms a page that is worth the 8 cursors allowed.
  sim = await startOktaSim({ orgs: 1, users: USERS, groups: 1, apps: 1, logs: 1, seed: 13, rateLimits: { users: 6_000 }, latencyMs: 150 });
});

afterAll(async () => {
  await sim?.close();
  box?.cleanup();
});

const env = () => box.env({ OKTA_SYNC_MAX_CURSORS: '8' });
const stats = (org: number) => simJson<SimStatsSnapshot>(sim, org, '/__sim/stats');
const setFaults = (org: number, faults: object) => simJson(sim, org, '/__sim/faults', faults);

async function latestRun(tenantId: string): Promise<RunRecord | undefined> {
  const store = new SqliteStore(box.storePath);
  try {
    return (await store.listRuns({ tenantId: asTenantId(tenantId), limit: 1 }))[0];
  } finally {
    await store.close();
  }
}

function startSync(tenantId: string, mode: 'full' | 'incremental' = 'full') {
  return runCli(['sync', tenantId, '--resources', 'users', '--mode', mode, '--wait', '--json'], env(), { timeoutMs: 120_000 });
}

const userIds = (users: { id: string }[]) => users.map((u) => u.id).sort();
const deletedIds = async (tenantId: string) => ids((await storedObjects(box, tenantId, 'user', true)).filter((o) => o.deletedAt !== null));

describe('partitioned full users runs', () => {
  it('store exactly the org, lose nothing to a SIGKILLed worker, leave changes made meanwhile to the next runs, and sweep exactly the deleted users', { timeout: 120_000 }, async () => {
    await addTenant(box, sim, 'big', 0);
    const workers = [startCliProcess(['worker', '--concurrency', '4'], env()), startCliProcess(['worker', '--concurrency', '4'], env())];
    const victim = workers[0]!;
    try {
      const [first] = await syncAndWait(box, 'big', ['users']);
      let truth = await truthOf(sim, 0);
      expect(ids(alive(await storedObjects(box, 'big', 'user')))).toEqual(userIds(truth.users));
      expect(first!.counters.objects).toBe(USERS);
      const firstStats = await stats(0);
      process.stderr.write(`[partitioned] first run ${JSON.stringify(first!.counters)}; sim maxInFlight ${firstStats.maxInFlight}, api ${firstStats.apiRequests}\n`);
      // Several cursors were in flight at once, and nothing was refused.
      expect(firstStats.maxInFlight).toBeGreaterThanOrEqual(3);
      expect(firstStats.rateLimited + firstStats.concurrencyRejected).toBe(0);

      const victims = truth.users.slice(0, 16).map((u) => u.id);
      const deletedBefore = victims.slice(0, 4);
      await mutate(sim, 0, deletedBefore.map((id) => ({ op: 'deleteUser', id })));
      const before = await truthOf(sim, 0);
      // Slower pages, so the changes below land while the run lists.
      await setFaults(0, { latencyMs: { min: 800, max: 1_000 } });
      const during = startSync('big');
      await waitFor(async () => {
        const run = await latestRun('big');
        return run && run.runId !== first!.runId && run.counters.pages >= 3;
      }, 60_000, 'three pages of the second run');
      const deletedDuring = victims.slice(4, 8);
      const changes = await mutate(sim, 0, [
        ...[1, 2, 3].map((n) => ({ op: 'addUser', profile: { firstName: `New${n}` } })),
        ...victims.slice(8, 12).map((id) => ({ op: 'updateUser', id, profile: { title: 'Changed mid-run' } })),
        ...victims.slice(12, 16).map((id) => ({ op: 'deprovisionUser', id })),
        ...deletedDuring.map((id) => ({ op: 'deleteUser', id })),
      ]);
      // A worker dies with pages in flight; its jobs are picked up again once their locks expire.
      victim.kill('SIGKILL');
      workers.push(startCliProcess(['worker', '--concurrency', '4'], env()));
      expect((await latestRun('big'))?.status).toBe('running');
      const res = await during;
      expect(res.code, res.stderr).toBe(0);
      await setFaults(0, {});
      // The sweep marked every user deleted before the run, and none that still exists.
      truth = await truthOf(sim, 0);
      const swept = await deletedIds('big');
      expect(swept).toEqual(expect.arrayContaining(deletedBefore));
      for (const id of swept) expect([...deletedBefore, ...deletedDuring]).toContain(id);
      const existing = new Set(truth.users.map((u) => u.id));
      const storedAlive = alive(await storedObjects(box, 'big', 'user'));
      for (const o of storedAlive) expect(existing.has(o.oktaId) || deletedDuring.includes(o.oktaId)).toBe(true);
      // Nothing was lost to the kill: every user that existed throughout the run is stored.
      const aliveIds = new Set(ids(storedAlive));
      for (const id of userIds(before.users)) if (!deletedDuring.includes(id)) expect(aliveIds.has(id), id).toBe(true);

      // An incremental run sees every change since (a user created, updated or deprovisioned)…
      const [incremental] = await syncAndWait(box, 'big', ['users'], 'incremental');
      const byId = new Map((await storedObjects(box, 'big', 'user', true)).map((o) => [o.oktaId, o]));
      const added = changes.slice(0, 3).map((r) => r.id);
      process.stderr.write(`[partitioned] added ${added.join(',')}; incremental ${JSON.stringify(incremental!.counters)}\n`);
      for (const user of truth.users) {
        const stored = byId.get(user.id);
        expect(stored, user.id).toBeDefined();
        expect(stored!.deletedAt, user.id).toBeNull();
        const data = stored!.data as { lastUpdated: string; status: string };
        expect(data.lastUpdated).toBe(user.lastUpdated);
        expect(data.status).toBe(user.status);
      }
      // …and the next full run marks exactly the hard-deleted users: the store equals the org.
      await syncAndWait(box, 'big', ['users']);
      expect(ids(alive(await storedObjects(box, 'big', 'user')))).toEqual(userIds(truth.users));
      expect(await deletedIds('big')).toEqual([...deletedBefore, ...deletedDuring].sort());
    } finally {
      await setFaults(0, {});
      await stopProcess(victim, 'SIGKILL');
      await Promise.all(workers.slice(1).map((w) => stopProcess(w)));
    }
  });
});
