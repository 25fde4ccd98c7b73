import type { Collection } from 'mongodb';
import type { TenantId } from '../ids.js';
import type { EventHookRecord } from './sync-store.js';

/** A tenant's event hook keyed by the tenant id (one per tenant, so `_id` is the only index needed). */
export type EventHookDoc = EventHookRecord & { _id: TenantId };

/** The `event_hooks` collection of the MongoDB adapter. */
export class MongoEventHooks {
  constructor(private readonly hooks: Collection<EventHookDoc>) {}

  async put(h: EventHookRecord): Promise<{ created: boolean }> {
    const { createdAt, ...fields } = h;
    const result = await this.hooks.updateOne({ _id: h.tenantId }, { $set: fields, $setOnInsert: { createdAt } }, { upsert: true });
    return { created: result.upsertedCount > 0 };
  }

  async get(tenantId: TenantId): Promise<EventHookRecord | undefined> {
    const doc = await this.hooks.findOne({ _id: tenantId });
    if (!doc) return undefined;
    const { _id, ...record } = doc;
    return { ...record, oktaHookId: record.oktaHookId ?? null };
  }

  async delete(tenantId: TenantId): Promise<boolean> {
    return (await this.hooks.deleteOne({ _id: tenantId })).deletedCount > 0;
  }
}
