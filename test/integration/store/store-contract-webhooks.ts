import { describe, expect, it } from 'vitest';
import { asTenantId } from '../../../src/shared/ids.js';
import type { WebhookRecord } from '../../../src/shared/store/sync-store.js';
import { type CurrentStore, T0, T1, T2, tenantRecord } from './store-fixtures.js';

function webhookRecord(id: string, overrides: Partial<WebhookRecord> = {}): WebhookRecord {
  return { tenantId: asTenantId(id), url: `https://hooks.example.com/${id}`, secret: 'v1.kid.iv.tag.data', events: ['run.finished'], createdAt: T0, updatedAt: T0, ...overrides };
}

/** Webhooks: one per tenant, replaced in place, removed with the tenant (whether or not its data is purged). */
export function describeWebhookContract(store: CurrentStore): void {
  describe('webhooks', () => {
    it('putWebhook creates once, then replaces and keeps createdAt; getWebhook and deleteWebhook', async () => {
      expect(await store().getWebhook(asTenantId('acme'))).toBeUndefined();
      const first = webhookRecord('acme');
      expect(await store().putWebhook(first)).toEqual({ created: true });
      expect(await store().getWebhook(first.tenantId)).toEqual(first);
      const second = webhookRecord('acme', { url: 'https://other.example.com/h', events: ['objects.changed', 'run.finished'], secret: 'v1.kid.b', createdAt: T2, updatedAt: T1 });
      expect(await store().putWebhook(second)).toEqual({ created: false });
      expect(await store().getWebhook(first.tenantId)).toEqual({ ...second, createdAt: T0 });
      expect(await store().deleteWebhook(first.tenantId)).toBe(true);
      expect(await store().deleteWebhook(first.tenantId)).toBe(false);
      expect(await store().getWebhook(first.tenantId)).toBeUndefined();
    });

    it('deleteTenant removes the webhook even without purgeData; other tenants keep theirs', async () => {
      for (const id of ['a', 'b']) {
        await store().putTenant(tenantRecord(id));
        await store().putWebhook(webhookRecord(id));
      }
      await store().deleteTenant(asTenantId('a'), { purgeData: false });
      expect(await store().getWebhook(asTenantId('a'))).toBeUndefined();
      expect(await store().getWebhook(asTenantId('b'))).toEqual(webhookRecord('b'));
    });
  });
}
