import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/shared/errors.js';
import { asTenantId, type TenantId } from '../../../src/shared/ids.js';
import type { ObjectType, RunRecord, StoredObject, SyncStore } from '../../../src/shared/store/sync-store.js';
import { type CurrentStore, objectWrite, pageCommit, runRecord, T0, T1, T2 } from './store-fixtures.js';

const acme = asTenantId('acme');

async function newRun(store: SyncStore, resource: RunRecord['resource'] = 'users'): Promise<RunRecord> {
  const result = await store.createRunUnlessActive(runRecord(acme, resource));
  await store.finishRun(result.run.runId, { status: 'succeeded', at: T2 }); // free the slot for the next run
  return result.run;
}

async function listAll(
  store: SyncStore,
  q: { tenantId: TenantId; type: ObjectType; limit: number; includeDeleted?: boolean },
): Promise<{ pages: StoredObject[][] }> {
  const pages: StoredObject[][] = [];
  let after: string | undefined;
  do {
    const page = await store.listObjects(after === undefined ? q : { ...q, after });
    pages.push(page.items);
    after = page.next ?? undefined;
  } while (after !== undefined && pages.length < 100);
  return { pages };
}

export function describeObjectContract(store: CurrentStore): void {
  describe('objects', () => {
    it('commitPage upserts the objects and counts the page', async () => {
      const run = await newRun(store());
      const data = { id: '00u1', profile: { login: 'ä@example.com', tags: [1, 2.5, null, true] }, _links: {} };
      expect(await store().commitPage(pageCommit(acme, run.runId, 'p1', [objectWrite('00u1', data), objectWrite('00u2')]))).toBe(true);
      const { items } = await store().listObjects({ tenantId: acme, type: 'user', limit: 10 });
      expect(items[0]).toEqual({
        tenantId: acme,
        type: 'user',
        oktaId: '00u1',
        data,
        oktaLastUpdated: T0,
        syncedAt: T1,
        runId: run.runId,
        deletedAt: null,
      });
      expect(items).toHaveLength(2);
      expect((await store().getRun(run.runId))?.counters).toMatchObject({ pages: 1, objects: 2 });
    });

    it('commitPage of the same pageKey twice counts once but writes both times', async () => {
      const run = await newRun(store());
      const page = pageCommit(acme, run.runId, 'p1', [objectWrite('00u1', { v: 1 }), { ...objectWrite('00u2'), oktaLastUpdated: null }]);
      expect(await store().commitPage(page)).toBe(true);
      const retry = { ...page, objects: [objectWrite('00u1', { v: 2 })], at: T2 };
      expect(await store().commitPage(retry)).toBe(false);
      expect((await store().getRun(run.runId))?.counters).toMatchObject({ pages: 1, objects: 2 });
      const { items } = await store().listObjects({ tenantId: acme, type: 'user', limit: 10 });
      expect(items.map((o) => [o.oktaId, o.data, o.syncedAt, o.oktaLastUpdated])).toEqual([
        ['00u1', { v: 2 }, T2, T0],
        ['00u2', { id: '00u2' }, T1, null],
      ]);
      // Same key in another run is another page.
      const other = await newRun(store());
      expect(await store().commitPage({ ...page, runId: other.runId })).toBe(true);
    });

    it('concurrent commits of one page count it once; empty pages count too', async () => {
      const run = await newRun(store());
      const page = pageCommit(acme, run.runId, 'p1', [objectWrite('00u1'), objectWrite('00u2'), objectWrite('00u3')]);
      const results = await Promise.all(Array.from({ length: 5 }, () => store().commitPage(page)));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await store().commitPage(pageCommit(acme, run.runId, 'empty', []))).toBe(true);
      expect((await store().getRun(run.runId))?.counters).toMatchObject({ pages: 2, objects: 3 });
      expect(await store().countObjects({ tenantId: acme, type: 'user' })).toBe(3);
    });

    it('sweep marks only objects the run did not write, once', async () => {
      const first = await newRun(store());
      await store().commitPage(pageCommit(acme, first.runId, 'p1', ['a', 'b', 'c'].map((id) => objectWrite(id))));
      await store().commitPage(pageCommit(acme, first.runId, 'g', [objectWrite('a')], { type: 'group' }));
      const second = await newRun(store());
      await store().commitPage(pageCommit(acme, second.runId, 'p1', [objectWrite('b')], { at: T2 }));

      expect(await store().sweep({ tenantId: acme, type: 'user', runId: second.runId, at: T2 })).toBe(2);
      const all = await store().listObjects({ tenantId: acme, type: 'user', limit: 10, includeDeleted: true });
      expect(all.items.map((o) => [o.oktaId, o.deletedAt])).toEqual([
        ['a', T2],
        ['b', null],
        ['c', T2],
      ]);
      expect(await store().sweep({ tenantId: acme, type: 'user', runId: second.runId, at: '2030-01-01T00:00:00.000Z' })).toBe(0);
      expect((await store().listObjects({ tenantId: acme, type: 'user', limit: 1, includeDeleted: true })).items[0]?.deletedAt).toBe(T2);
      expect(await store().countObjects({ tenantId: acme, type: 'group' })).toBe(1);

      // Written again by a later run: alive again.
      const third = await newRun(store());
      await store().commitPage(pageCommit(acme, third.runId, 'p1', [objectWrite('a')]));
      expect(await store().countObjects({ tenantId: acme, type: 'user' })).toBe(2);
      expect((await store().listObjects({ tenantId: acme, type: 'user', limit: 1 })).items[0]).toMatchObject({ oktaId: 'a', deletedAt: null });
    });

    it('sweep with oktaIdPrefix touches only that prefix, literally', async () => {
      const first = await newRun(store(), 'memberships');
      const ids = ['g1:u1', 'g1:u2', 'g10:u1', 'g2:u1', 'g.1:u1', 'gx1:u1', 'G1:u1'];
      await store().commitPage(pageCommit(acme, first.runId, 'p', ids.map((id) => objectWrite(id)), { type: 'membership' }));
      const second = await newRun(store(), 'memberships');
      const sweep = { tenantId: acme, type: 'membership' as const, runId: second.runId, at: T2 };
      expect(await store().sweep({ ...sweep, oktaIdPrefix: 'g1:' })).toBe(2);
      expect(await store().sweep({ ...sweep, oktaIdPrefix: 'g.1:' })).toBe(1);
      const alive = await store().listObjects({ tenantId: acme, type: 'membership', limit: 10 });
      expect(alive.items.map((o) => o.oktaId)).toEqual(['G1:u1', 'g10:u1', 'g2:u1', 'gx1:u1']);
      expect(await store().sweep({ ...sweep, oktaIdPrefix: 'nothing:' })).toBe(0);
    });

    it('sweep with oktaId touches that one object, with oktaIdSuffix those ending with it, literally', async () => {
      const first = await newRun(store(), 'memberships');
      const ids = ['g1:u1', 'g1:u10', 'g2:u1', 'g3:xu1', 'g4:u.1', 'g5:u_1'];
      await store().commitPage(pageCommit(acme, first.runId, 'p', ids.map((id) => objectWrite(id)), { type: 'membership' }));
      const second = await newRun(store(), 'memberships');
      const sweep = { tenantId: acme, type: 'membership' as const, runId: second.runId, at: T2 };
      expect(await store().sweep({ ...sweep, oktaId: 'g1:u1' })).toBe(1);
      expect(await store().sweep({ ...sweep, oktaId: 'g1:u' })).toBe(0);
      expect(await store().sweep({ ...sweep, oktaIdSuffix: ':u1' })).toBe(1);
      expect(await store().sweep({ ...sweep, oktaIdSuffix: ':u.1' })).toBe(1);
      const alive = await store().listObjects({ tenantId: acme, type: 'membership', limit: 10 });
      expect(alive.items.map((o) => o.oktaId)).toEqual(['g1:u10', 'g3:xu1', 'g5:u_1']);
    });

    it('listObjects pages by oktaId with an opaque cursor until next is null', async () => {
      const run = await newRun(store());
      const ids = ['e', 'B', 'a', 'd', 'c', 'Z', '00u9'];
      await store().commitPage(pageCommit(acme, run.runId, 'p', ids.map((id) => objectWrite(id))));
      const { pages } = await listAll(store(), { tenantId: acme, type: 'user', limit: 3 });
      expect(pages.map((p) => p.map((o) => o.oktaId))).toEqual([['00u9', 'B', 'Z'], ['a', 'c', 'd'], ['e']]);

      // An exact multiple of the limit ends with an empty page, never with a lost item.
      const exact = await listAll(store(), { tenantId: acme, type: 'user', limit: 7 });
      expect(exact.pages.flat()).toHaveLength(7);
      expect(exact.pages.at(-1)?.length ?? 0).toBeLessThan(7);
      expect(await store().listObjects({ tenantId: acme, type: 'group', limit: 3 })).toEqual({ items: [], next: null });
    });

    it('listObjects hides deleted objects unless includeDeleted', async () => {
      const first = await newRun(store());
      await store().commitPage(pageCommit(acme, first.runId, 'p', ['a', 'b', 'c', 'd'].map((id) => objectWrite(id))));
      const second = await newRun(store());
      await store().commitPage(pageCommit(acme, second.runId, 'p', [objectWrite('c')]));
      await store().sweep({ tenantId: acme, type: 'user', runId: second.runId, at: T2 });

      const alive = await listAll(store(), { tenantId: acme, type: 'user', limit: 1 });
      expect(alive.pages.flat().map((o) => o.oktaId)).toEqual(['c']);
      const all = await listAll(store(), { tenantId: acme, type: 'user', limit: 2, includeDeleted: true });
      expect(all.pages.flat().map((o) => [o.oktaId, o.deletedAt])).toEqual([
        ['a', T2],
        ['b', T2],
        ['c', null],
        ['d', T2],
      ]);
    });

    it('listObjects rejects a malformed cursor', async () => {
      await expect(store().listObjects({ tenantId: acme, type: 'user', limit: 1, after: 'not a cursor!' })).rejects.toBeInstanceOf(
        ValidationError,
      );
    });

    it('countObjects counts one tenant and type, alive or all', async () => {
      expect(await store().countObjects({ tenantId: acme, type: 'user' })).toBe(0);
      const first = await newRun(store());
      await store().commitPage(pageCommit(acme, first.runId, 'p', ['a', 'b', 'c'].map((id) => objectWrite(id))));
      await store().commitPage(pageCommit(acme, first.runId, 'q', [objectWrite('a')], { type: 'app' }));
      const second = await newRun(store());
      await store().commitPage(pageCommit(acme, second.runId, 'p', [objectWrite('a')]));
      await store().sweep({ tenantId: acme, type: 'user', runId: second.runId, at: T2 });
      expect(await store().countObjects({ tenantId: acme, type: 'user' })).toBe(1);
      expect(await store().countObjects({ tenantId: acme, type: 'user', includeDeleted: true })).toBe(3);
      expect(await store().countObjects({ tenantId: acme, type: 'app' })).toBe(1);
    });
  });
}
