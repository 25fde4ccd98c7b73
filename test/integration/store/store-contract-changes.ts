import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/shared/errors.js';
import { asTenantId, type TenantId } from '../../../src/shared/ids.js';
import { type ChangeEntry, CursorExpiredError, decodeFeedCursor, encodeFeedCursor } from '../../../src/shared/store/change-feed.js';
import type { ObjectType, RunRecord, SyncStore } from '../../../src/shared/store/sync-store.js';
import { type CurrentStore, objectWrite, pageCommit, runRecord, T0, T1, T2 } from './store-fixtures.js';

const acme = asTenantId('acme');

async function newRun(store: SyncStore, tenantId: TenantId = acme, resource: RunRecord['resource'] = 'users'): Promise<RunRecord> {
  const result = await store.createRunUnlessActive(runRecord(tenantId, resource));
  await store.finishRun(result.run.runId, { status: 'succeeded', at: T2 });
  return result.run;
}

/** Every entry after `after`, `limit` at a time; also returns the last `next`. */
async function readAll(store: SyncStore, q: { tenantId?: TenantId; after?: string; limit?: number; types?: ObjectType[] } = {}) {
  const items: ChangeEntry[] = [];
  let after = q.after;
  for (let i = 0; i < 100; i++) {
    const page = await store.readChanges({
      tenantId: q.tenantId ?? acme,
      limit: q.limit ?? 1000,
      ...(after === undefined ? {} : { after }),
      ...(q.types ? { types: q.types } : {}),
    });
    items.push(...page.items);
    expect(page.next).toEqual(expect.any(String));
    after = page.next;
    if (page.items.length < (q.limit ?? 1000)) break;
  }
  return { items, next: after! };
}

const brief = (items: ChangeEntry[]) => items.map((e) => `${e.op} ${e.type} ${e.oktaId}`);

/** The change feed, as both adapters must keep it. */
export function describeChangeFeedContract(store: CurrentStore): void {
  describe('change feed', () => {
    it('an empty feed reads nothing and still returns a next cursor', async () => {
      const page = await store().readChanges({ tenantId: acme, limit: 10 });
      expect(page.items).toEqual([]);
      expect(decodeFeedCursor(page.next)).toBe(0);
      expect((await store().readChanges({ tenantId: acme, limit: 10, after: page.next })).items).toEqual([]);
    });

    it('creating objects appends one upsert each, with their data, in commit order', async () => {
      const run = await newRun(store());
      const data = { id: '00u1', profile: { login: 'ä@example.com' } };
      await store().commitPage(pageCommit(acme, run.runId, 'p1', [objectWrite('00u1', data), objectWrite('00u2')]));
      await store().commitPage(pageCommit(acme, run.runId, 'p2', [objectWrite('00g1')], { type: 'group', at: T2 }));
      const { items } = await readAll(store());
      expect(items).toEqual([
        { cursor: expect.any(String), op: 'upsert', type: 'user', oktaId: '00u1', data, changedAt: T1 },
        { cursor: expect.any(String), op: 'upsert', type: 'user', oktaId: '00u2', data: { id: '00u2' }, changedAt: T1 },
        { cursor: expect.any(String), op: 'upsert', type: 'group', oktaId: '00g1', data: { id: '00g1' }, changedAt: T2 },
      ]);
      const seqs = items.map((e) => decodeFeedCursor(e.cursor));
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(new Set(seqs).size).toBe(3);
    });

    it('re-writing the same data appends nothing; changed data, a delete and an undelete append one each', async () => {
      const first = await newRun(store());
      await store().commitPage(pageCommit(acme, first.runId, 'p1', [objectWrite('00u1', { v: 1 }), objectWrite('00u2', { v: 1 })]));
      const { next: mark } = await readAll(store());

      const second = await newRun(store());
      // Same data, later timestamps and another run: not a change.
      await store().commitPage(pageCommit(acme, second.runId, 'p1', [{ ...objectWrite('00u1', { v: 1 }), oktaLastUpdated: T2 }], { at: T2 }));
      expect((await readAll(store(), { after: mark })).items).toEqual([]);
      // 00u2 was not seen by the second run: the sweep deletes it.
      expect(await store().sweep({ tenantId: acme, type: 'user', runId: second.runId, at: T2 })).toBe(1);
      await store().commitPage(pageCommit(acme, second.runId, 'p2', [objectWrite('00u1', { v: 2 })], { at: T2 }));
      const third = await newRun(store());
      await store().commitPage(pageCommit(acme, third.runId, 'p1', [objectWrite('00u2', { v: 1 })], { at: T2 }));
      const after = (await readAll(store(), { after: mark })).items;
      expect(after.map((e) => [e.op, e.oktaId, e.data])).toEqual([
        ['delete', '00u2', undefined],
        ['upsert', '00u1', { v: 2 }],
        ['upsert', '00u2', { v: 1 }],
      ]);
      expect(after[0]).not.toHaveProperty('data');
      // A second sweep finds nothing new and appends nothing.
      expect(await store().sweep({ tenantId: acme, type: 'user', runId: second.runId, at: T2 })).toBe(1);
      expect(await store().sweep({ tenantId: acme, type: 'user', runId: second.runId, at: T2 })).toBe(0);
      expect(brief((await readAll(store(), { after: after.at(-1)!.cursor })).items)).toEqual(['delete user 00u2']);
    });

    it('a page committed twice appends its changes once', async () => {
      const run = await newRun(store());
      const page = pageCommit(acme, run.runId, 'p1', [objectWrite('00u1'), objectWrite('00u2')]);
      await store().commitPage(page);
      await store().commitPage(page);
      expect(brief((await readAll(store())).items)).toEqual(['upsert user 00u1', 'upsert user 00u2']);
    });

    it('reading after a cursor in the middle resumes exactly after it, page by page', async () => {
      const run = await newRun(store());
      const ids = Array.from({ length: 25 }, (_, i) => `00u${String(i).padStart(2, '0')}`);
      for (let p = 0; p < 5; p++) await store().commitPage(pageCommit(acme, run.runId, `p${p}`, ids.slice(p * 5, p * 5 + 5).map((id) => objectWrite(id))));
      const all = (await readAll(store())).items;
      expect(all.map((e) => e.oktaId)).toEqual(ids);
      const middle = all[11]!.cursor;
      const paged = await readAll(store(), { after: middle, limit: 4 });
      expect(paged.items.map((e) => e.oktaId)).toEqual(ids.slice(12));
      // Caught up: next stays put, and reads after it are empty until something changes.
      expect(paged.next).toBe(all.at(-1)!.cursor);
      expect((await store().readChanges({ tenantId: acme, limit: 10, after: paged.next })).items).toEqual([]);
    });

    it('filters by type, and next then moves past what the filter skipped', async () => {
      const run = await newRun(store());
      await store().commitPage(pageCommit(acme, run.runId, 'p1', [objectWrite('00u1')]));
      await store().commitPage(pageCommit(acme, run.runId, 'p2', [objectWrite('00g1')], { type: 'group' }));
      await store().commitPage(pageCommit(acme, run.runId, 'p3', [objectWrite('00g1:00u1')], { type: 'membership' }));
      const groups = await readAll(store(), { types: ['group', 'membership'] });
      expect(brief(groups.items)).toEqual(['upsert group 00g1', 'upsert membership 00g1:00u1']);
      const users = await readAll(store(), { types: ['user'] });
      expect(brief(users.items)).toEqual(['upsert user 00u1']);
      // At least past the last match (SQLite and replica sets: the head, past the skipped entries too).
      expect(decodeFeedCursor(users.next)).toBeGreaterThanOrEqual(decodeFeedCursor(users.items[0]!.cursor));
      expect(decodeFeedCursor(users.next)).toBeLessThanOrEqual(decodeFeedCursor(groups.items.at(-1)!.cursor));
    });

    it('keeps tenants apart: each has its own cursors', async () => {
      const beta = asTenantId('beta');
      const [runA, runB] = [await newRun(store()), await newRun(store(), beta)];
      await store().commitPage(pageCommit(acme, runA.runId, 'p1', [objectWrite('00u1', { t: 'a' })]));
      await store().commitPage(pageCommit(beta, runB.runId, 'p1', [objectWrite('00u1', { t: 'b' }), objectWrite('00u2')]));
      expect((await readAll(store())).items.map((e) => e.data)).toEqual([{ t: 'a' }]);
      expect(brief((await readAll(store(), { tenantId: beta })).items)).toEqual(['upsert user 00u1', 'upsert user 00u2']);
    });

    it('refuses malformed cursors and cursors ahead of the feed with a 400-class error', async () => {
      for (const bad of ['not a cursor!', encodeFeedCursor(5), Buffer.from('x12').toString('base64url')]) {
        await expect(store().readChanges({ tenantId: acme, limit: 10, after: bad })).rejects.toBeInstanceOf(ValidationError);
      }
    });

    it('feedRangeOfRun gives the cursors and counts of what one run appended', async () => {
      const [first, other] = [await newRun(store()), await newRun(store(), acme, 'groups')];
      expect(await store().feedRangeOfRun(first.runId)).toBeNull();
      await store().commitPage(pageCommit(acme, first.runId, 'p1', [objectWrite('00u1'), objectWrite('00u2')]));
      await store().commitPage(pageCommit(acme, other.runId, 'p1', [objectWrite('00g1')], { type: 'group' }));
      await store().commitPage(pageCommit(acme, first.runId, 'p2', [objectWrite('00u3')]));
      const second = await newRun(store());
      await store().sweep({ tenantId: acme, type: 'user', runId: second.runId, at: T2 });
      const range = await store().feedRangeOfRun(first.runId);
      expect(range).toMatchObject({ tenantId: acme, runId: first.runId, upserts: 3, deletes: 0 });
      const all = (await readAll(store())).items;
      expect(range?.firstCursor).toBe(all[0]!.cursor);
      expect(range?.lastCursor).toBe(all[3]!.cursor);
      expect((await store().readChanges({ tenantId: acme, limit: 1, after: range!.afterCursor })).items[0]?.cursor).toBe(range?.firstCursor);
      expect(await store().feedRangeOfRun(second.runId)).toMatchObject({ upserts: 0, deletes: 3, lastCursor: all.at(-1)!.cursor });
      // A sweep on behalf of a stand-in run id counts for the run it names as countFor.
      await store().commitPage(pageCommit(acme, other.runId, 'p2', [objectWrite('00g1:00u1')], { type: 'membership' }));
      const gone = `${other.runId}.gone` as typeof other.runId;
      expect(await store().sweep({ tenantId: acme, type: 'membership', runId: gone, at: T2, oktaIdPrefix: '00g1:', countFor: other.runId })).toBe(1);
      expect(await store().feedRangeOfRun(other.runId)).toMatchObject({ upserts: 2, deletes: 1 });
      expect(await store().feedRangeOfRun(gone)).toBeNull();
    });

    it('retention purges old entries; a cursor before them is expired, with the head to restart from', async () => {
      const run = await newRun(store());
      await store().commitPage(pageCommit(acme, run.runId, 'p1', [objectWrite('00u1'), objectWrite('00u2')], { at: T0 }));
      const old = (await readAll(store())).items;
      await store().commitPage(pageCommit(acme, run.runId, 'p2', [objectWrite('00u3')], { at: T2 }));
      expect(await store().purgeChangesBefore(T1)).toBe(2);
      expect(await store().purgeChangesBefore(T1)).toBe(0);

      const expired = await store()
        .readChanges({ tenantId: acme, limit: 10, after: old[0]!.cursor })
        .catch((e: unknown) => e);
      expect(expired).toBeInstanceOf(CursorExpiredError);
      expect((expired as CursorExpiredError).code).toBe('cursor_expired');
      const restart = (expired as CursorExpiredError).restartCursor;
      expect((await store().readChanges({ tenantId: acme, limit: 10, after: restart })).items).toEqual([]);
      // The last purged cursor, and no cursor at all, still read what is retained.
      expect(brief((await readAll(store(), { after: old[1]!.cursor })).items)).toEqual(['upsert user 00u3']);
      expect(brief((await readAll(store())).items)).toEqual(['upsert user 00u3']);
    });

    it('purging a tenant\'s data keeps its cursors increasing: old cursors expire, nothing is reused', async () => {
      const run = await newRun(store());
      await store().commitPage(pageCommit(acme, run.runId, 'p1', [objectWrite('00u1')]));
      const { items: before } = await readAll(store());
      await store().deleteTenant(acme, { purgeData: true });
      await expect(store().readChanges({ tenantId: acme, limit: 10, after: encodeFeedCursor(0) })).rejects.toBeInstanceOf(CursorExpiredError);
      const again = await newRun(store());
      await store().commitPage(pageCommit(acme, again.runId, 'p1', [objectWrite('00u1')]));
      const { items: after } = await readAll(store(), { after: before[0]!.cursor });
      expect(brief(after)).toEqual(['upsert user 00u1']);
      expect(decodeFeedCursor(after[0]!.cursor)).toBeGreaterThan(decodeFeedCursor(before[0]!.cursor));
    });
  });
}
