import type { Db, IndexDescription } from 'mongodb';
import type { RunId, TenantId } from '../ids.js';
import type { Resource } from '../resources.js';
import { ttlSeconds } from './retention.js';
import { type ObjectType, type RetentionPolicy, RUN_PAGES_KEEP_DAYS, type RunRecord, type TenantRecord, type WebhookRecord } from './sync-store.js';

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
  eventHooks: 'event_hooks',
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
  /** A real Date (TTL-indexed) in the database; an ISO string at the port. */
  deletedAt: Date | null;
  /** The run whose `deleted` counter this tombstone counts toward (meaningful while deletedAt is set). */
  deletedBy?: RunId;
  /** Content hash of `data` (change-feed.ts); absent on objects written before the feed. */
  dataHash?: string | null;
}

/**
 * A run keyed by its id. `active` mirrors `status in (queued, running)`: partial indexes cannot
 * use `$in`, so the one-active-run rule is a unique index over the runs where `active` is true.
 */
export type RunDoc = Omit<RunRecord, 'finishedAt'> & { _id: RunId; active: boolean; finishedAt: Date | null };

export interface RunPageDoc {
  runId: RunId;
  pageKey: string;
  tenantId: TenantId;
  objects: number;
  committedAt: Date;
  /** Set when the run became final: the page record expires a day later. */
  runFinalAt?: Date;
}

export interface SyncStateDoc {
  tenantId: TenantId;
  resource: Resource;
  watermark: string;
  updatedAt: string;
}

/** Name of the index that enforces one queued or running run per (tenant, resource). */
export const ONE_ACTIVE_RUN_INDEX = 'runs_one_active';

/** Only a real Date is a tombstone / final run for the TTL monitor (null is "live" / "active"). */
const IS_DATE = { $type: 'date' } as const;

/** Indexes replaced by better ones; dropped at connect so they cost no writes. */
const OBSOLETE_INDEXES: readonly { collection: string; name: string }[] = [{ collection: COLLECTIONS.objects, name: 'objects_by_run' }];

/** One index per query the adapter makes (mongodb-explain.test.ts checks each plan). */
const INDEXES: Readonly<Record<string, IndexDescription[]>> = {
  [COLLECTIONS.objects]: [
    { key: { tenantId: 1, type: 1, oktaId: 1 }, name: 'objects_key', unique: true },
    // Live listing, counting and sweeping: deletedAt null is an equality, so oktaId stays in order.
    { key: { tenantId: 1, type: 1, deletedAt: 1, oktaId: 1 }, name: 'objects_live' },
    { key: { deletedBy: 1 }, name: 'objects_deleted_by', partialFilterExpression: { deletedAt: IS_DATE } },
    { key: { type: 1, oktaLastUpdated: 1 }, name: 'objects_log_events', partialFilterExpression: { type: 'log_event' } },
  ],
  [COLLECTIONS.runs]: [
    { key: { tenantId: 1, resource: 1 }, name: ONE_ACTIVE_RUN_INDEX, unique: true, partialFilterExpression: { active: true } },
    { key: { tenantId: 1, createdAt: -1, _id: -1 }, name: 'runs_by_tenant' },
    { key: { createdAt: -1, _id: -1 }, name: 'runs_by_created' },
  ],
  [COLLECTIONS.runPages]: [
    { key: { runId: 1, pageKey: 1 }, name: 'run_pages_key', unique: true },
    // Only for purging a tenant's data without a collection scan.
    { key: { tenantId: 1 }, name: 'run_pages_by_tenant' },
  ],
  [COLLECTIONS.syncState]: [{ key: { tenantId: 1, resource: 1 }, name: 'sync_state_key', unique: true }],
  [COLLECTIONS.connectLinks]: [
    { key: { tenantId: 1 }, name: 'connect_links_by_tenant' },
    // TTL: a link goes 30 days after it expired (purgeAt), so the collection never grows unbounded.
    { key: { purgeAt: 1 }, name: 'connect_links_purge', expireAfterSeconds: 0 },
  ],
};

/** A TTL index: documents go `seconds` after the Date in its one field (other values never expire). */
export interface TtlIndex {
  collection: string;
  name: string;
  field: string;
  seconds(policy: RetentionPolicy): number;
}

/** Retention on MongoDB is these TTL indexes; `purgeExpired` deletes the same sets on demand. */
export const TTL_INDEXES: readonly TtlIndex[] = [
  { collection: COLLECTIONS.objects, name: 'objects_tombstones_ttl', field: 'deletedAt', seconds: (p) => ttlSeconds(p.tombstoneDays) },
  { collection: COLLECTIONS.runs, name: 'runs_finished_ttl', field: 'finishedAt', seconds: (p) => ttlSeconds(p.runHistoryDays) },
  { collection: COLLECTIONS.runPages, name: 'run_pages_final_ttl', field: 'runFinalAt', seconds: () => ttlSeconds(RUN_PAGES_KEEP_DAYS) },
  // Backstop for page records of a run that never became final (the process died): run history age.
  { collection: COLLECTIONS.runPages, name: 'run_pages_committed_ttl', field: 'committedAt', seconds: (p) => ttlSeconds(p.runHistoryDays) },
];

/**
 * Creates the indexes; idempotent, so every process runs it at connect. An index that exists with
 * other options fails loudly (IndexOptionsConflict) rather than silently weakening a rule, except a
 * TTL index's expiry, which follows the retention settings (`collMod`).
 */
export async function ensureIndexes(db: Db, policy: RetentionPolicy): Promise<void> {
  await Promise.all(Object.entries(INDEXES).map(([name, indexes]) => db.collection(name).createIndexes(indexes)));
  for (const { collection, name } of OBSOLETE_INDEXES) {
    if (await db.collection(collection).indexExists(name)) await db.collection(collection).dropIndex(name);
  }
  for (const ttl of TTL_INDEXES) await ensureTtlIndex(db, ttl, ttl.seconds(policy));
  await upgradeDates(db);
}

/** Marks a database whose TTL fields are all Dates (done once; a collection scan each). */
const DATES_MARKER = { collection: 'store_meta', id: 'dates-v1' } as const;

/**
 * Documents written before the TTL fields were Dates hold ISO strings, which no TTL index expires:
 * converted once per database, idempotently (concurrent processes may both run it).
 */
export async function upgradeDates(db: Db): Promise<void> {
  const meta = db.collection<{ _id: string; at: Date }>(DATES_MARKER.collection);
  if (await meta.findOne({ _id: DATES_MARKER.id })) return;
  for (const { collection, field } of TTL_INDEXES) {
    await db.collection(collection).updateMany({ [field]: { $type: 'string' } }, [{ $set: { [field]: { $toDate: `$${field}` } } }]);
  }
  await meta.updateOne({ _id: DATES_MARKER.id }, { $setOnInsert: { at: new Date() } }, { upsert: true });
}

async function ensureTtlIndex(db: Db, ttl: TtlIndex, seconds: number): Promise<void> {
  const existing = (await db.collection(ttl.collection).indexes()).find((i) => i.name === ttl.name);
  if (existing === undefined) {
    await db.collection(ttl.collection).createIndex(
      { [ttl.field]: 1 },
      { name: ttl.name, expireAfterSeconds: seconds, partialFilterExpression: { [ttl.field]: IS_DATE } },
    );
  } else if (existing.expireAfterSeconds !== seconds) {
    await db.command({ collMod: ttl.collection, index: { name: ttl.name, expireAfterSeconds: seconds } });
  }
}

/** True for a duplicate-key error (E11000), optionally only when it was not raised by `_id`. */
export function isDuplicateKeyError(error: unknown, options: { ignoreIdIndex?: boolean } = {}): boolean {
  if (typeof error !== 'object' || error === null || (error as { code?: unknown }).code !== 11000) return false;
  if (!options.ignoreIdIndex) return true;
  const keyPattern = (error as { keyPattern?: unknown }).keyPattern;
  if (typeof keyPattern === 'object' && keyPattern !== null) return !('_id' in keyPattern);
  return !String((error as { message?: unknown }).message).includes('index: _id_');
}
