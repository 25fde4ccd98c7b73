import { describe, expect, it } from 'vitest';
import { asTenantId } from '../../../src/shared/ids.js';
import type { EventHookRecord } from '../../../src/shared/store/sync-store.js';
import { type CurrentStore, T0, T1, T2, tenantRecord } from './store-fixtures.js';

function hookRecord(id: string, overrides: Partial<EventHookRecord> = {}): EventHookRecord {
  return {
    tenantId: asTenantId(id),
    oktaHookId: null,
    uri: `https://sync.example.com/v1/hooks/okta/${id}`,
    secret: 'v1.kid.iv.tag.data',
    events: ['user.account.update_profile'],
    status: 'installing',
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  };
}

/** Okta Event Hook records: one per tenant, replaced in place, removed with the tenant (purged or not). */
export function describeEventHookContract(store: CurrentStore): void {
  describe('event hooks', () => {
    it('putEventHook creates once, then replaces and keeps createdAt; getEventHook and deleteEventHook', async () => {
      expect(await store().getEventHook(asTenantId('acme'))).toBeUndefined();
      const first = hookRecord('acme');
      expect(await store().putEventHook(first)).toEqual({ created: true });
      expect(await store().getEventHook(first.tenantId)).toEqual(first);
      const second = hookRecord('acme', { oktaHookId: 'who1abc', status: 'installed', secret: 'v1.kid.b', events: ['group.user_membership.add', 'user.lifecycle.create'], createdAt: T2, updatedAt: T1 });
      expect(await store().putEventHook(second)).toEqual({ created: false });
      expect(await store().getEventHook(first.tenantId)).toEqual({ ...second, createdAt: T0 });
      expect(await store().deleteEventHook(first.tenantId)).toBe(true);
      expect(await store().deleteEventHook(first.tenantId)).toBe(false);
      expect(await store().getEventHook(first.tenantId)).toBeUndefined();
    });

    it('deleteTenant removes the event hook record even without purgeData; other tenants keep theirs', async () => {
      for (const id of ['a', 'b']) {
        await store().putTenant(tenantRecord(id));
        await store().putEventHook(hookRecord(id));
      }
      await store().deleteTenant(asTenantId('a'), { purgeData: false });
      expect(await store().getEventHook(asTenantId('a'))).toBeUndefined();
      expect(await store().getEventHook(asTenantId('b'))).toEqual(hookRecord('b'));
    });
  });
}
