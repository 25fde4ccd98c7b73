import { describe, expect, it } from 'vitest';
import { asRunId, asTenantId, type TenantId } from '../../../src/shared/ids.js';
import type { StoreTestHooks } from '../../../src/shared/store/store-hooks.js';
import { EMPTY_COUNTERS } from '../../../src/shared/store/sync-store.js';
import { type CurrentStore, objectWrite, pageCommit, runRecord, T0, T1, T2, tenantRecord } from './store-fixtures.js';

const acme = asTenantId('acme');

class InjectedCrash extends Error {}

function crash(): never {
  throw new InjectedCrash('injected crash between two writes of a page commit');
}

/**
 * Findings of the store review (issue 15), one test each: counters that cannot drift, and the
 * places where the adapters used to answer differently.
 */
export function describeIntegrityContract(store: CurrentStore, hooks: () => StoreTestHooks): void {
  describe('counters are exact after a crash', () => {
    for (const point of ['afterPageObjects', 'afterPageRecord'] as const) {
      it(`a commit killed at ${point} and retried counts the page once; finishRun leaves pages/objects exact`, async () => {
        const { run } = await store().createRunUnlessActive(runRecord(acme, 'users'));
        await store().markRunRunning(run.runId, T1);
        const p1 = pageCommit(acme, run.runId, 'p1', [objectWrite('a'), objectWrite('b')]);
        const p2 = pageCommit(acme, run.runId, 'p2', [objectWrite('c'), objectWrite('d'), objectWrite('e')]);
        expect(await store().commitPage(p1)).toBe(true);

        hooks()[point] = crash;
        await expect(store().commitPage(p2)).rejects.toBeInstanceOf(InjectedCrash);
        delete hooks()[point];
        // The retry: whether it is "first" depends on where the crash fell and on the adapter
        // (SQLite rolls the whole commit back; MongoDB keeps what was written), the objects do not.
        await store().commitPage(p2);
        await store().commitPage(p2);
        expect(await store().countObjects({ tenantId: acme, type: 'user' })).toBe(5);

        expect(await store().finishRun(run.runId, { status: 'succeeded', at: T2 })).toBe(true);
        expect((await store().getRun(run.runId))?.counters).toMatchObject({ pages: 2, objects: 5, deleted: 0 });
      });
    }

    it('finishRun recounts pages, objects and deleted from the records, whatever was added before', async () => {
      const first = await store().createRunUnlessActive(runRecord(acme, 'users'));
      await store().commitPage(pageCommit(acme, first.run.runId, 'p', ['a', 'b', 'c', 'd'].map((id) => objectWrite(id))));
      await store().finishRun(first.run.runId, { status: 'succeeded', at: T1 });

      const { run } = await store().createRunUnlessActive(runRecord(acme, 'users', { createdAt: T1 }));
      await store().commitPage(pageCommit(acme, run.runId, 'p', [objectWrite('a')]));
      await store().commitPage(pageCommit(acme, run.runId, 'q', []));
      // The sweep counts its deletions toward the run itself...
      expect(await store().sweep({ tenantId: acme, type: 'user', runId: run.runId, at: T2 })).toBe(3);
      expect((await store().getRun(run.runId))?.counters).toMatchObject({ pages: 2, objects: 1, deleted: 3 });
      // ...and a caller that adds them again (or a count lost to a crash) cannot make them drift.
      await store().addRunCounters(run.runId, { pages: 4, objects: 9, deleted: 3, requests: 7 });
      expect(await store().finishRun(run.runId, { status: 'failed', at: T2, error: { code: 'x', message: 'y' } })).toBe(true);
      expect((await store().getRun(run.runId))?.counters).toEqual({ ...EMPTY_COUNTERS, pages: 2, objects: 1, deleted: 3, requests: 7 });
    });

    it('a sweep counts toward countFor when it keeps another run id (a vanished parent)', async () => {
      const { run } = await store().createRunUnlessActive(runRecord(acme, 'memberships'));
      await store().commitPage(pageCommit(acme, run.runId, 'p', ['g1:u1', 'g1:u2', 'g2:u1'].map((id) => objectWrite(id)), { type: 'membership' }));
      const gone = asRunId(`${run.runId}.gone`);
      const sweep = { tenantId: acme, type: 'membership' as const, runId: gone, at: T2, oktaIdPrefix: 'g1:', countFor: run.runId };
      expect(await store().sweep(sweep)).toBe(2);
      expect(await store().finishRun(run.runId, { status: 'succeeded', at: T2 })).toBe(true);
      expect((await store().getRun(run.runId))?.counters).toMatchObject({ pages: 1, objects: 3, deleted: 2 });
    });
  });

  describe('one behaviour in every adapter', () => {
    it('createRunUnlessActive with a final status still returns the active run', async () => {
      const active = runRecord(acme, 'users');
      await store().createRunUnlessActive(active);
      const finished = runRecord(acme, 'users', { status: 'succeeded', finishedAt: T1 });
      expect(await store().createRunUnlessActive(finished)).toEqual({ run: { ...active, counters: EMPTY_COUNTERS }, created: false });
      expect(await store().getRun(finished.runId)).toBeUndefined();
      // With no active run a final one is recorded as given (an import of history).
      await store().finishRun(active.runId, { status: 'cancelled', at: T1 });
      expect(await store().createRunUnlessActive(finished)).toEqual({ run: { ...finished, counters: EMPTY_COUNTERS }, created: true });
      expect((await store().getRun(finished.runId))?.finishedAt).toBe(T1);
    });

    it('createRunUnlessActive replaying an existing runId returns that run, created false', async () => {
      const run = runRecord(acme, 'users');
      await store().createRunUnlessActive(run);
      await store().finishRun(run.runId, { status: 'succeeded', at: T2 });
      const stored = await store().getRun(run.runId);
      expect(await store().createRunUnlessActive(run)).toEqual({ run: stored, created: false });
      expect(await store().createRunUnlessActive({ ...run, resource: 'groups' })).toEqual({ run: stored, created: false });
      expect(await store().listRuns({ tenantId: acme, limit: 10 })).toHaveLength(1);
    });

    it('a limit below 1 returns nothing from listRuns and listObjects', async () => {
      const { run } = await store().createRunUnlessActive(runRecord(acme, 'users'));
      await store().commitPage(pageCommit(acme, run.runId, 'p', [objectWrite('a')]));
      for (const limit of [0, -1]) {
        expect(await store().listRuns({ limit })).toEqual([]);
        expect(await store().listRuns({ tenantId: acme, limit })).toEqual([]);
        expect(await store().listObjects({ tenantId: acme, type: 'user', limit })).toEqual({ items: [], next: null });
        expect(await store().listObjects({ tenantId: acme, type: 'user', limit, includeDeleted: true })).toEqual({ items: [], next: null });
      }
    });

    it('listRuns with an empty tenantId filters by it (and finds nothing)', async () => {
      await store().createRunUnlessActive(runRecord(acme, 'users'));
      // Not a valid id (asTenantId refuses it), but the port must not read it as "no filter".
      expect(await store().listRuns({ tenantId: '' as TenantId, limit: 10 })).toEqual([]);
      expect(await store().listRuns({ limit: 10 })).toHaveLength(1);
    });

    it('deleteTenant with purge that fails half-way keeps the tenant record, and calling it again finishes', async () => {
      const tenant = tenantRecord('acme');
      await store().putTenant(tenant);
      const { run } = await store().createRunUnlessActive(runRecord(acme, 'users'));
      await store().commitPage(pageCommit(acme, run.runId, 'p', [objectWrite('a')]));
      hooks().beforeTenantRecord = crash;
      await expect(store().deleteTenant(acme, { purgeData: true })).rejects.toBeInstanceOf(InjectedCrash);
      delete hooks().beforeTenantRecord;
      // Still listed (SQLite rolled everything back; MongoDB removed the data only), so an operator sees it.
      expect(await store().getTenant(acme)).toEqual(tenant);
      expect(await store().deleteTenant(acme, { purgeData: true })).toBe(true);
      expect(await store().getTenant(acme)).toBeUndefined();
      expect(await store().countObjects({ tenantId: acme, type: 'user', includeDeleted: true })).toBe(0);
      expect(await store().getRun(run.runId)).toBeUndefined();
    });

    it('deleteTenant with purge is idempotent and leaves nothing of the tenant', async () => {
      const tenant = tenantRecord('acme');
      await store().putTenant(tenant);
      const { run } = await store().createRunUnlessActive(runRecord(acme, 'users'));
      await store().commitPage(pageCommit(acme, run.runId, 'p', [objectWrite('a')]));
      await store().sweep({ tenantId: acme, type: 'user', runId: asRunId('run_other'), at: T0 });
      await store().setWatermark(acme, 'users', 'w', T0);
      expect(await store().deleteTenant(acme, { purgeData: true })).toBe(true);
      for (let i = 0; i < 2; i += 1) {
        expect(await store().deleteTenant(acme, { purgeData: true })).toBe(false);
        expect(await store().getTenant(acme)).toBeUndefined();
        expect(await store().countObjects({ tenantId: acme, type: 'user', includeDeleted: true })).toBe(0);
        expect(await store().listRuns({ tenantId: acme, limit: 10 })).toEqual([]);
        expect(await store().getWatermark(acme, 'users')).toBeUndefined();
      }
    });
  });
}
