import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { asTenantId } from '../../../src/shared/ids.js';
import type { StoreTestHooks } from '../../../src/shared/store/store-hooks.js';
import type { SyncStore } from '../../../src/shared/store/sync-store.js';
import { describeChangeFeedContract } from './store-contract-changes.js';
import { describeConnectLinkContract } from './store-contract-connect-links.js';
import { describeIntegrityContract } from './store-contract-integrity.js';
import { describeObjectContract } from './store-contract-objects.js';
import { describeRetentionContract } from './store-contract-retention.js';
import { describeRunContract } from './store-contract-runs.js';
import { describeWebhookContract } from './store-contract-webhooks.js';
import { describeEventHookContract } from './store-contract-event-hooks.js';
import { type CurrentStore, objectWrite, pageCommit, runRecord, T0, T1, T2, tenantRecord } from './store-fixtures.js';

/**
 * The behaviour every `SyncStore` adapter must share. `open` returns a store over an empty
 * database, built with `hooks` (the crash-injection points, which a test may set while it runs);
 * the contract closes it after each test (the caller drops the database). With
 * `skipReason` the tests are registered as skipped and the reason is printed, so a missing
 * backend shows up in the output instead of passing silently.
 */
export function describeStoreContract(name: string, open: (hooks: StoreTestHooks) => Promise<SyncStore>, skipReason?: string): void {
  if (skipReason !== undefined) console.warn(`[store contract] ${name} adapter skipped: ${skipReason}`);
  const title = skipReason === undefined ? `${name} adapter` : `${name} adapter (skipped: ${skipReason})`;
  (skipReason === undefined ? describe : describe.skip)(title, () => {
    let store: SyncStore | undefined;
    let hooks: StoreTestHooks = {};
    beforeEach(async () => {
      hooks = {};
      store = await open(hooks);
    });
    afterEach(async () => {
      await store?.close();
      store = undefined;
    });
    const current: CurrentStore = () => {
      if (!store) throw new Error('store not open');
      return store;
    };
    describeTenantContract(current);
    describeRunContract(current);
    describeObjectContract(current);
    describeSyncStateContract(current);
    describeWebhookContract(current);
    describeEventHookContract(current);
    describeChangeFeedContract(current);
    describeConnectLinkContract(current);
    describeIntegrityContract(current, () => hooks);
    describeRetentionContract(current);
  });
}

function describeTenantContract(store: CurrentStore): void {
  describe('tenants', () => {
    it('putTenant creates once, then updates in place and keeps createdAt', async () => {
      const first = tenantRecord('acme', { rateShare: 0.5 });
      expect(await store().putTenant(first)).toEqual({ created: true });
      expect(await store().getTenant(first.tenantId)).toEqual(first);

      const { rateShare: _dropped, ...withoutShare } = first;
      const second = { ...withoutShare, oktaDomain: 'acme.oktapreview.com', scopes: ['okta.logs.read'], createdAt: T2, updatedAt: T1 };
      expect(await store().putTenant(second)).toEqual({ created: false });
      const stored = await store().getTenant(first.tenantId);
      expect(stored).toEqual({ ...second, createdAt: T0 });
      expect(stored).not.toHaveProperty('rateShare');
    });

    it('getTenant returns undefined for an unknown tenant', async () => {
      expect(await store().getTenant(asTenantId('nobody'))).toBeUndefined();
    });

    it('listTenants returns every tenant ordered by id', async () => {
      expect(await store().listTenants()).toEqual([]);
      for (const id of ['zeta', 'Alpha', 'beta']) await store().putTenant(tenantRecord(id));
      expect((await store().listTenants()).map((t) => t.tenantId)).toEqual(['Alpha', 'beta', 'zeta']);
    });

    it('setTenantStatus changes status and updatedAt only', async () => {
      const tenant = tenantRecord('acme');
      await store().putTenant(tenant);
      await store().setTenantStatus(tenant.tenantId, 'credentials_invalid', T2);
      expect(await store().getTenant(tenant.tenantId)).toEqual({ ...tenant, status: 'credentials_invalid', updatedAt: T2 });
      await expect(store().setTenantStatus(asTenantId('nobody'), 'disabled', T2)).resolves.toBeUndefined();
      expect(await store().getTenant(asTenantId('nobody'))).toBeUndefined();
    });

    it('deleteTenant without purge keeps the data, with purge removes it, other tenants untouched', async () => {
      const [a, b] = [tenantRecord('a'), tenantRecord('b')];
      const runs = [];
      for (const t of [a, b]) {
        await store().putTenant(t);
        const { run } = await store().createRunUnlessActive(runRecord(t.tenantId, 'users'));
        runs.push(run);
        await store().commitPage(pageCommit(t.tenantId, run.runId, 'p1', [objectWrite('00u1')]));
        await store().setWatermark(t.tenantId, 'users', 'w1', T1);
      }
      const [runA, runB] = runs as [(typeof runs)[0], (typeof runs)[0]];

      expect(await store().deleteTenant(a.tenantId, { purgeData: false })).toBe(true);
      expect(await store().getTenant(a.tenantId)).toBeUndefined();
      expect(await store().countObjects({ tenantId: a.tenantId, type: 'user' })).toBe(1);
      expect(await store().getRun(runA.runId)).toBeDefined();
      expect(await store().getWatermark(a.tenantId, 'users')).toBe('w1');
      expect(await store().deleteTenant(a.tenantId, { purgeData: false })).toBe(false);

      // Purging works even when the tenant record is already gone, and reports that it was.
      expect(await store().deleteTenant(a.tenantId, { purgeData: true })).toBe(false);
      expect(await store().countObjects({ tenantId: a.tenantId, type: 'user', includeDeleted: true })).toBe(0);
      expect(await store().getRun(runA.runId)).toBeUndefined();
      expect(await store().listRuns({ tenantId: a.tenantId, limit: 10 })).toEqual([]);
      expect(await store().getWatermark(a.tenantId, 'users')).toBeUndefined();
      // The page records went too: the same page key counts as new again.
      expect(await store().commitPage(pageCommit(a.tenantId, runA.runId, 'p1', []))).toBe(true);

      expect(await store().deleteTenant(b.tenantId, { purgeData: true })).toBe(true);
      await store().putTenant(b);
      expect(await store().getTenant(b.tenantId)).toEqual(b);
      expect(await store().getRun(runB.runId)).toBeUndefined();
    });
  });
}

function describeSyncStateContract(store: CurrentStore): void {
  describe('sync state', () => {
    it('stores one watermark per tenant and resource, overwriting it', async () => {
      const [a, b] = [asTenantId('a'), asTenantId('b')];
      expect(await store().getWatermark(a, 'users')).toBeUndefined();
      await store().setWatermark(a, 'users', '2024-05-01T00:00:00.000Z', T0);
      await store().setWatermark(a, 'logs', 'https://a.okta.com/api/v1/logs?after=1', T0);
      await store().setWatermark(b, 'users', 'b-users', T0);
      await store().setWatermark(a, 'users', '2024-05-02T00:00:00.000Z', T1);
      expect(await store().getWatermark(a, 'users')).toBe('2024-05-02T00:00:00.000Z');
      expect(await store().getWatermark(a, 'logs')).toBe('https://a.okta.com/api/v1/logs?after=1');
      expect(await store().getWatermark(b, 'users')).toBe('b-users');
      expect(await store().getWatermark(b, 'logs')).toBeUndefined();
    });
  });

  describe('tenant isolation', () => {
    it('keeps the same oktaId apart under two tenants and two types', async () => {
      const [a, b] = [asTenantId('a'), asTenantId('b')];
      const { run: runA } = await store().createRunUnlessActive(runRecord(a, 'users'));
      const { run: runB } = await store().createRunUnlessActive(runRecord(b, 'users'));
      await store().commitPage(pageCommit(a, runA.runId, 'p1', [objectWrite('00u1', { tenant: 'a' })]));
      await store().commitPage(pageCommit(b, runB.runId, 'p1', [objectWrite('00u1', { tenant: 'b' })]));
      await store().commitPage(pageCommit(a, runA.runId, 'p2', [objectWrite('00u1', { kind: 'group' })], { type: 'group' }));

      const listA = await store().listObjects({ tenantId: a, type: 'user', limit: 10 });
      const listB = await store().listObjects({ tenantId: b, type: 'user', limit: 10 });
      expect(listA.items.map((o) => [o.tenantId, o.data])).toEqual([[a, { tenant: 'a' }]]);
      expect(listB.items.map((o) => [o.tenantId, o.data])).toEqual([[b, { tenant: 'b' }]]);
      expect((await store().listObjects({ tenantId: a, type: 'group', limit: 10 })).items[0]?.data).toEqual({ kind: 'group' });

      // A sweep of tenant a's users by a new run touches neither tenant b nor a's groups.
      const { run: nextA } = await store().createRunUnlessActive(runRecord(a, 'groups'));
      expect(await store().sweep({ tenantId: a, type: 'user', runId: nextA.runId, at: T2 })).toBe(1);
      expect(await store().countObjects({ tenantId: a, type: 'user' })).toBe(0);
      expect(await store().countObjects({ tenantId: b, type: 'user' })).toBe(1);
      expect(await store().countObjects({ tenantId: a, type: 'group' })).toBe(1);
      expect((await store().getRun(runB.runId))?.counters).toMatchObject({ pages: 1, objects: 1 });
    });
  });
}
