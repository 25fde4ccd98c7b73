import { describe, expect, it } from 'vitest';
import { asRunId, asTenantId } from '../../../src/shared/ids.js';
import type { Resource } from '../../../src/shared/resources.js';
import { DEFAULT_RETENTION, type RunRecord } from '../../../src/shared/store/sync-store.js';
import { type CurrentStore, objectWrite, pageCommit, runRecord } from './store-fixtures.js';

const acme = asTenantId('acme');
const NOW = new Date('2024-09-01T00:00:00.000Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function ago(ms: number): string {
  return new Date(NOW.getTime() - ms).toISOString();
}

export function describeRetentionContract(store: CurrentStore): void {
  /** A run with one page "p" committed at `pageAt`, finished at `finishedAt` unless null. */
  async function runWithPage(resource: Resource, pageAt: string, finishedAt: string | null, ids = ['a']): Promise<RunRecord> {
    const { run } = await store().createRunUnlessActive(runRecord(acme, resource, { createdAt: pageAt }));
    const type = resource === 'apps' ? 'app' : resource === 'groups' ? 'group' : 'user';
    await store().commitPage(pageCommit(acme, run.runId, 'p', ids.map((id) => objectWrite(id)), { type, at: pageAt }));
    if (finishedAt !== null) await store().finishRun(run.runId, { status: 'succeeded', at: finishedAt });
    return run;
  }

  describe('retention', () => {
    it('purgeExpired removes old tombstones, old final runs and page records of runs final for a day, nothing else', async () => {
      const old = await runWithPage('users', ago(101 * DAY), ago(100 * DAY));
      const recent = await runWithPage('users', ago(3 * DAY), ago(2 * DAY));
      const justFinished = await runWithPage('users', ago(2 * HOUR), ago(HOUR));
      const active = await runWithPage('groups', ago(5 * DAY), null);
      const apps = await runWithPage('apps', ago(40 * DAY), ago(39 * DAY), ['x', 'y', 'z']);
      const sweeper = asRunId('run_sweeper');
      await store().sweep({ tenantId: acme, type: 'app', runId: sweeper, at: ago(31 * DAY), oktaIdPrefix: 'x' });
      await store().sweep({ tenantId: acme, type: 'app', runId: sweeper, at: ago(29 * DAY), oktaIdPrefix: 'y' });

      const report = await store().purgeExpired(DEFAULT_RETENTION, NOW);
      expect(report).toMatchObject({ tombstones: 1, runs: 1, run_pages: 3 });
      const again = await store().purgeExpired(DEFAULT_RETENTION, NOW);
      expect(Object.values(again).every((n) => n === 0)).toBe(true);

      expect(await store().getRun(old.runId)).toBeUndefined();
      for (const kept of [recent, justFinished, active, apps]) expect(await store().getRun(kept.runId)).toBeDefined();
      const apps2 = await store().listObjects({ tenantId: acme, type: 'app', limit: 10, includeDeleted: true });
      expect(apps2.items.map((o) => [o.oktaId, o.deletedAt])).toEqual([
        ['y', ago(29 * DAY)],
        ['z', null],
      ]);
      // Live objects are never purged, however old.
      expect(await store().countObjects({ tenantId: acme, type: 'user' })).toBe(1);
      // A purged page record makes the same key count as new; a kept one does not.
      const again1 = (run: RunRecord) => store().commitPage(pageCommit(acme, run.runId, 'p', [], { at: NOW.toISOString() }));
      expect(await again1(justFinished)).toBe(false);
      expect(await again1(active)).toBe(false);
      expect(await again1(recent)).toBe(true);
    });

    it('purgeExpired removes System Log events published before logEventDays, and nothing else', async () => {
      const { run } = await store().createRunUnlessActive(runRecord(acme, 'logs', { createdAt: ago(DAY) }));
      const event = (uuid: string, published: string | null) => ({ ...objectWrite(uuid), oktaLastUpdated: published, data: { uuid, published } });
      const events = [event('old', ago(91 * DAY)), event('edge', ago(89 * DAY)), event('new', ago(HOUR)), event('undated', null)];
      await store().commitPage(pageCommit(acme, run.runId, 'p', events, { type: 'log_event', at: ago(DAY) }));
      // A user last updated long ago is live data: never purged by the log retention.
      const users = await runWithPage('users', ago(2 * DAY), ago(DAY), ['u']);
      expect(users).toBeDefined();

      expect((await store().purgeExpired(DEFAULT_RETENTION, NOW)).log_events).toBe(1);
      const kept = await store().listObjects({ tenantId: acme, type: 'log_event', limit: 10, includeDeleted: true });
      expect(kept.items.map((o) => o.oktaId).sort()).toEqual(['edge', 'new', 'undated']);
      expect((await store().purgeExpired({ ...DEFAULT_RETENTION, logEventDays: 30 }, NOW)).log_events).toBe(1);
      expect((await store().listObjects({ tenantId: acme, type: 'log_event', limit: 10 })).items.map((o) => o.oktaId).sort()).toEqual(['new', 'undated']);
      expect(await store().countObjects({ tenantId: acme, type: 'user' })).toBe(1);
    });

    it('purgeExpired follows the policy it is given', async () => {
      await runWithPage('apps', ago(10 * DAY), ago(9 * DAY), ['x', 'y']);
      await store().sweep({ tenantId: acme, type: 'app', runId: asRunId('run_sweeper'), at: ago(3 * DAY) });
      expect((await store().purgeExpired(DEFAULT_RETENTION, NOW)).tombstones).toBe(0);
      const short = { tombstoneDays: 2, runHistoryDays: 5, changesDays: 1, logEventDays: 90 };
      expect(await store().purgeExpired(short, NOW)).toMatchObject({ tombstones: 2, runs: 1 });
      expect(await store().countObjects({ tenantId: acme, type: 'app', includeDeleted: true })).toBe(0);
      expect(await store().listRuns({ limit: 10 })).toEqual([]);
    });
  });
}
