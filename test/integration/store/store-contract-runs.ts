import { describe, expect, it } from 'vitest';
import { asRunId, asTenantId } from '../../../src/shared/ids.js';
import { EMPTY_COUNTERS } from '../../../src/shared/store/sync-store.js';
import { type CurrentStore, runRecord, T0, T1, T2 } from './store-fixtures.js';

const acme = asTenantId('acme');

export function describeRunContract(store: CurrentStore): void {
  describe('runs', () => {
    it('createRunUnlessActive creates with zero counters, then returns the active run', async () => {
      const first = runRecord(acme, 'users', { warnings: ['w'], counters: { ...EMPTY_COUNTERS, pages: 9 } });
      const created = await store().createRunUnlessActive(first);
      expect(created).toEqual({ run: { ...first, counters: EMPTY_COUNTERS }, created: true });
      expect(await store().getRun(first.runId)).toEqual(created.run);

      const again = await store().createRunUnlessActive(runRecord(acme, 'users', { mode: 'incremental' }));
      expect(again).toEqual({ run: created.run, created: false });

      // Another resource or another tenant has its own active run.
      expect((await store().createRunUnlessActive(runRecord(acme, 'groups'))).created).toBe(true);
      expect((await store().createRunUnlessActive(runRecord(asTenantId('other'), 'users'))).created).toBe(true);
    });

    it('a running run also blocks, a finished one does not', async () => {
      const first = runRecord(acme, 'users');
      await store().createRunUnlessActive(first);
      await store().markRunRunning(first.runId, T1);
      const blocked = await store().createRunUnlessActive(runRecord(acme, 'users'));
      expect(blocked.created).toBe(false);
      expect(blocked.run).toMatchObject({ runId: first.runId, status: 'running' });

      expect(await store().finishRun(first.runId, { status: 'succeeded', at: T2 })).toBe(true);
      const next = runRecord(acme, 'users', { createdAt: T2 });
      expect(await store().createRunUnlessActive(next)).toEqual({ run: next, created: true });
      expect((await store().getRun(first.runId))?.status).toBe('succeeded');
    });

    it('10 concurrent createRunUnlessActive calls create exactly one run', async () => {
      const candidates = Array.from({ length: 10 }, () => runRecord(acme, 'memberships'));
      const results = await Promise.all(candidates.map((run) => store().createRunUnlessActive(run)));
      const created = results.filter((r) => r.created);
      expect(created).toHaveLength(1);
      const winner = created[0]!.run.runId;
      expect(new Set(results.map((r) => r.run.runId))).toEqual(new Set([winner]));
      expect((await store().listRuns({ tenantId: acme, limit: 20 })).map((r) => r.runId)).toEqual([winner]);
    });

    it('getRun and listRuns: unknown is undefined, newest first, by tenant, limited', async () => {
      expect(await store().getRun(asRunId('run_missing'))).toBeUndefined();
      const old = runRecord(acme, 'users', { createdAt: T0, status: 'succeeded' });
      const mid = runRecord(acme, 'groups', { createdAt: T1 });
      const other = runRecord(asTenantId('other'), 'users', { createdAt: T1 });
      const recent = runRecord(acme, 'apps', { createdAt: T2 });
      for (const run of [mid, old, recent, other]) await store().createRunUnlessActive(run);
      expect((await store().listRuns({ tenantId: acme, limit: 10 })).map((r) => r.runId)).toEqual([
        recent.runId,
        mid.runId,
        old.runId,
      ]);
      expect((await store().listRuns({ tenantId: acme, limit: 2 })).map((r) => r.runId)).toEqual([recent.runId, mid.runId]);
      expect(await store().listRuns({ limit: 10 })).toHaveLength(4);
      expect((await store().listRuns({ limit: 1 }))[0]?.runId).toBe(recent.runId);
    });

    it('markRunRunning moves queued to running once and keeps the first startedAt', async () => {
      const run = runRecord(acme, 'users');
      await store().createRunUnlessActive(run);
      await store().markRunRunning(run.runId, T1);
      expect(await store().getRun(run.runId)).toMatchObject({ status: 'running', startedAt: T1, finishedAt: null });
      await store().markRunRunning(run.runId, T2);
      expect((await store().getRun(run.runId))?.startedAt).toBe(T1);

      await store().finishRun(run.runId, { status: 'cancelled', at: T2 });
      await store().markRunRunning(run.runId, T2);
      expect(await store().getRun(run.runId)).toMatchObject({ status: 'cancelled', startedAt: T1 });
      await expect(store().markRunRunning(asRunId('run_missing'), T1)).resolves.toBeUndefined();
    });

    it('addRunCounters adds every time it is called and ignores absent counters', async () => {
      const run = runRecord(acme, 'users');
      await store().createRunUnlessActive(run);
      await store().addRunCounters(run.runId, { requests: 2, rateLimited: 1, rateLimitWaitMs: 1500 });
      await store().addRunCounters(run.runId, { requests: 3, tokenFetches: 1, retries: 0 });
      await store().addRunCounters(run.runId, {});
      await Promise.all(Array.from({ length: 5 }, () => store().addRunCounters(run.runId, { deleted: 1 })));
      expect((await store().getRun(run.runId))?.counters).toEqual({
        ...EMPTY_COUNTERS,
        requests: 5,
        rateLimited: 1,
        rateLimitWaitMs: 1500,
        tokenFetches: 1,
        deleted: 5,
      });
      await expect(store().addRunCounters(asRunId('run_missing'), { requests: 1 })).resolves.toBeUndefined();
    });

    it('addRunWarning appends each distinct warning once, in order', async () => {
      const run = runRecord(acme, 'users');
      await store().createRunUnlessActive(run);
      await store().addRunWarning(run.runId, '0 users returned: no admin role assigned?');
      await store().addRunWarning(run.runId, 'second');
      await store().addRunWarning(run.runId, '0 users returned: no admin role assigned?');
      expect((await store().getRun(run.runId))?.warnings).toEqual(['0 users returned: no admin role assigned?', 'second']);
      await expect(store().addRunWarning(asRunId('run_missing'), 'w')).resolves.toBeUndefined();
    });

    it('finishRun finishes exactly once and records the outcome', async () => {
      const run = runRecord(acme, 'users');
      await store().createRunUnlessActive(run);
      const error = { code: '$okta_error', message: '$set: permission denied' };
      const outcomes = await Promise.all([
        store().finishRun(run.runId, { status: 'failed', at: T1, error }),
        ...Array.from({ length: 4 }, () => store().finishRun(run.runId, { status: 'cancelled', at: T2 })),
      ]);
      expect(outcomes.filter(Boolean)).toHaveLength(1);
      const finished = await store().getRun(run.runId);
      expect(finished?.finishedAt).toBe(finished?.status === 'failed' ? T1 : T2);
      // Never started: startedAt takes the finish time.
      expect(finished?.startedAt).toBe(finished?.finishedAt);
      if (finished?.status === 'failed') expect(finished.error).toEqual(error);
      else expect(finished).toMatchObject({ status: 'cancelled', error: null });

      expect(await store().finishRun(run.runId, { status: 'succeeded', at: T2 })).toBe(false);
      expect(await store().getRun(run.runId)).toEqual(finished);
      expect(await store().finishRun(asRunId('run_missing'), { status: 'succeeded', at: T2 })).toBe(false);
    });

    it('finishRun of a running run keeps its startedAt', async () => {
      const run = runRecord(acme, 'users');
      await store().createRunUnlessActive(run);
      await store().markRunRunning(run.runId, T1);
      expect(await store().finishRun(run.runId, { status: 'succeeded', at: T2 })).toBe(true);
      expect(await store().getRun(run.runId)).toMatchObject({ status: 'succeeded', startedAt: T1, finishedAt: T2, error: null });
    });
  });
}
