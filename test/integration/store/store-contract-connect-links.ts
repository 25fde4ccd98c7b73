import { describe, expect, it } from 'vitest';
import { asTenantId } from '../../../src/shared/ids.js';
import type { ConnectLinkRecord } from '../../../src/shared/store/sync-store.js';
import { type CurrentStore, T0, T1, T2, tenantRecord } from './store-fixtures.js';

function link(hash: string, overrides: Partial<ConnectLinkRecord> = {}): ConnectLinkRecord {
  return {
    tokenHash: hash,
    tenantId: asTenantId('acme'),
    createdAt: T0,
    expiresAt: T2,
    returnUrl: null,
    formKey: 'form-key-base64url',
    attempts: 0,
    usedAt: null,
    ...overrides,
  };
}

export function describeConnectLinkContract(store: CurrentStore): void {
  describe('connect links', () => {
    it('stores a link by its hash and reads it back unchanged', async () => {
      const a = link('a'.repeat(64), { returnUrl: 'https://app.example.com/done' });
      await store().createConnectLink(a);
      expect(await store().getConnectLink(a.tokenHash)).toEqual(a);
      expect(await store().getConnectLink('b'.repeat(64))).toBeUndefined();
    });

    it('a second link with the same hash is refused', async () => {
      await store().createConnectLink(link('c'.repeat(64)));
      await expect(store().createConnectLink(link('c'.repeat(64)))).rejects.toThrow();
    });

    it('countConnectAttempt counts up to max, then refuses; a used link refuses at once', async () => {
      const hash = 'd'.repeat(64);
      await store().createConnectLink(link(hash));
      expect(await store().countConnectAttempt(hash, 2)).toBe(1);
      expect(await store().countConnectAttempt(hash, 2)).toBe(2);
      expect(await store().countConnectAttempt(hash, 2)).toBeUndefined();
      expect((await store().getConnectLink(hash))?.attempts).toBe(2);
      expect(await store().countConnectAttempt('e'.repeat(64), 2)).toBeUndefined();

      const used = 'f'.repeat(64);
      await store().createConnectLink(link(used));
      expect(await store().useConnectLink(used, T1)).toBe(true);
      expect(await store().countConnectAttempt(used, 10)).toBeUndefined();
    });

    it('useConnectLink wins exactly once, even when raced', async () => {
      const hash = '1'.repeat(64);
      await store().createConnectLink(link(hash));
      const results = await Promise.all([1, 2, 3, 4].map(() => store().useConnectLink(hash, T1)));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect((await store().getConnectLink(hash))?.usedAt).toBe(T1);
      expect(await store().useConnectLink(hash, T2)).toBe(false);
      expect((await store().getConnectLink(hash))?.usedAt).toBe(T1);
    });

    it('removing a tenant removes its outstanding links, not other tenants\' links', async () => {
      await store().putTenant(tenantRecord('acme'));
      await store().createConnectLink(link('2'.repeat(64)));
      await store().createConnectLink(link('3'.repeat(64), { tenantId: asTenantId('other') }));
      await store().deleteTenant(asTenantId('acme'), { purgeData: false });
      expect(await store().getConnectLink('2'.repeat(64))).toBeUndefined();
      expect(await store().getConnectLink('3'.repeat(64))).toBeDefined();
    });
  });
}
