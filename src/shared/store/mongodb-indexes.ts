import type { Db } from 'mongodb';
import type { RunId, TenantId } from '../ids.js';
import type { Resource } from '../resources.js';
import type { ObjectType, RunRecord, TenantRecord, WebhookRecord } from './sync-store.js';

/**
 * The MongoDB collections: the logical collections of DESIGN.md "Store", same names as the
 * SQLite tables, and the indexes that carry the store's uniqueness rules.
 */
export const COLLECTIONS = {
  tenants: 'tenants',
  objects: 'objects',
  runs: 'runs',
  runPages: 'run_pages',
  syncState: 'sync_state',
  webhooks: 'webhooks',
  connectLinks: 'connect_links',
} as const;

/** A tenant keyed by its id. */
export type TenantDoc = TenantRecord & { _id: TenantId };

/** A tenant's webhook keyed by the tenant id (one per tenant, so `_id` is the only index needed). */
export type WebhookDoc = WebhookRecord & { _id: TenantId };

export interface ObjectDoc {
  tenantId: TenantId;
  type: ObjectType;
  oktaId: string;
  data: unknown;
  oktaLastUpdated: string | null;
  syncedAt: string;
  runId: RunId;
  deletedAt: string | null;
  /** Content hash of `data` (change-feed.ts); absent on objects written before the feed. */
  dataHash?: string | null;
}

/**
 * A run keyed by its id. `active` mirrors `status in (queued, running)`: partial indexes cannot
 * use `$in`, so the one-active-run rule is a unique index over the runs where `active` is true.
 */
export type RunDoc = RunRecord & { _id: RunId; active: boolean };

export interface RunPageDoc {
  runId: RunId;
  pageKey: string;
  tenantId: TenantId;
  objects: number;
  committedAt: string;
}

export interface SyncStateDoc {
  tenantId: TenantId;
  resource: Resource;
  watermark: string;
  updatedAt: string;
}

/** Name of the index that enforces one queued or running run per (tenant, resource). */
export const ONE_ACTIVE_RUN_INDEX = 'runs_one_active';

/**
 * Creates the indexes; idempotent, so every process runs it at connect. An index that exists with
 * other options fails loudly (IndexOptionsConflict) rather than silently weakening a rule.
 */
export async function ensureIndexes(db: Db): Promise<void> {
  await Promise.all([
    db.collection(COLLECTIONS.objects).createIndexes([
      { key: { tenantId: 1, type: 1, oktaId: 1 }, name: 'objects_key', unique: true },
      { key: { tenantId: 1, type: 1, runId: 1 }, name: 'objects_by_run' },
    ]),
    db.collection(COLLECTIONS.runs).createIndexes([
      {
        key: { tenantId: 1, resource: 1 },
        name: ONE_ACTIVE_RUN_INDEX,
        unique: true,
        partialFilterExpression: { active: true },
      },
      { key: { tenantId: 1, createdAt: -1, _id: -1 }, name: 'runs_by_tenant' },
      { key: { createdAt: -1, _id: -1 }, name: 'runs_by_created' },
    ]),
    db.collection(COLLECTIONS.runPages).createIndexes([
      { key: { runId: 1, pageKey: 1 }, name: 'run_pages_key', unique: true },
      // Only for purging a tenant's data without a collection scan.
      { key: { tenantId: 1 }, name: 'run_pages_by_tenant' },
    ]),
    db
      .collection(COLLECTIONS.syncState)
      .createIndexes([{ key: { tenantId: 1, resource: 1 }, name: 'sync_state_key', unique: true }]),
    db.collection(COLLECTIONS.connectLinks).createIndexes([
      { key: { tenantId: 1 }, name: 'connect_links_by_tenant' },
      // TTL: a link goes 30 days after it expired (purgeAt), so the collection never grows unbounded.
      { key: { purgeAt: 1 }, name: 'connect_links_purge', expireAfterSeconds: 0 },
    ]),
  ]);
}

/** True for a duplicate-key error (E11000), optionally only when it was not raised by `_id`. */
export function isDuplicateKeyError(error: unknown, options: { ignoreIdIndex?: boolean } = {}): boolean {
  if (typeof error !== 'object' || error === null || (error as { code?: unknown }).code !== 11000) return false;
  if (!options.ignoreIdIndex) return true;
  const keyPattern = (error as { keyPattern?: unknown }).keyPattern;
  if (typeof keyPattern === 'object' && keyPattern !== null) return !('_id' in keyPattern);
  return !String((error as { message?: unknown }).message).includes('index: _id_');
}
