import type { Filter, Sort } from 'mongodb';
import type { RunId, TenantId } from '../ids.js';
import type { Resource } from '../resources.js';
import { COLLECTIONS, type ObjectDoc, type RunDoc, type RunPageDoc } from './mongodb-indexes.js';
import type { RetentionCutoffs } from './retention.js';
import { ACTIVE_RUN_STATUSES, type ObjectType } from './sync-store.js';

/**
 * The MongoDB adapter's filters on hot paths, built in one place so that mongodb-explain.test.ts
 * explains exactly what the adapter sends. Each names the index meant to answer it.
 */
export const MONGO_QUERIES = {
  /** runs_one_active */
  activeRun: (tenantId: TenantId, resource: Resource): Filter<RunDoc> => ({ tenantId, resource, active: true }),
  /** _id */
  activeRunById: (runId: RunId): Filter<RunDoc> => ({ _id: runId, status: { $in: [...ACTIVE_RUN_STATUSES] } }),
  /** runs_by_tenant / runs_by_created */
  runs: (tenantId: TenantId | undefined): { filter: Filter<RunDoc>; sort: Sort } => ({
    filter: tenantId === undefined ? {} : { tenantId },
    sort: { createdAt: -1, _id: -1 },
  }),
  /** objects_live, or objects_key with includeDeleted */
  objects: (q: { tenantId: TenantId; type: ObjectType; includeDeleted?: boolean }, after?: string): Filter<ObjectDoc> => ({
    tenantId: q.tenantId,
    type: q.type,
    ...(after === undefined ? {} : { oktaId: { $gt: after } }),
    ...(q.includeDeleted ? {} : { deletedAt: null }),
  }),
  /** objects_live: an anchored literal regex is a range scan of oktaId. */
  sweep: (q: { tenantId: TenantId; type: ObjectType; runId: RunId; oktaIdPrefix?: string; oktaId?: string; oktaIdSuffix?: string }): Filter<ObjectDoc> => ({
    tenantId: q.tenantId,
    type: q.type,
    deletedAt: null,
    runId: { $ne: q.runId },
    ...(q.oktaIdPrefix ? { oktaId: { $regex: `^${escapeRegex(q.oktaIdPrefix)}` } } : {}),
    // Not anchored at the start: a scan of the type's live objects (rare: a hard-deleted user's memberships).
    ...(q.oktaIdSuffix ? { oktaId: { $regex: `${escapeRegex(q.oktaIdSuffix)}$` } } : {}),
    ...(q.oktaId !== undefined ? { oktaId: q.oktaId } : {}),
  }),
  /** objects_deleted_by (its partial filter is part of the query, so the planner may use it) */
  deletedBy: (runId: RunId): Filter<ObjectDoc> => ({ deletedBy: runId, deletedAt: { $type: 'date' } }),
  /** run_pages_key prefix */
  pagesOfRun: (runId: RunId): Filter<RunPageDoc> => ({ runId }),
} as const;

/**
 * What `purgeExpired` deletes on MongoDB: the same sets as the TTL indexes (mongodb-indexes.ts),
 * on demand and with an injectable clock. The extension point for a new collection with retention.
 */
export interface MongoPurgeTask {
  name: string;
  collection: string;
  filter(cutoffs: RetentionCutoffs): Filter<Record<string, unknown>>;
}

export const MONGO_PURGE_TASKS: readonly MongoPurgeTask[] = [
  { name: 'tombstones', collection: COLLECTIONS.objects, filter: (c) => ({ deletedAt: { $type: 'date', $lt: c.tombstones } }) },
  { name: 'run_pages', collection: COLLECTIONS.runPages, filter: (c) => ({ runFinalAt: { $type: 'date', $lt: c.runPages } }) },
  { name: 'run_pages_orphaned', collection: COLLECTIONS.runPages, filter: (c) => ({ committedAt: { $type: 'date', $lt: c.runs } }) },
  { name: 'runs', collection: COLLECTIONS.runs, filter: (c) => ({ finishedAt: { $type: 'date', $lt: c.runs } }) },
  // System Log events by `published` (an ISO string, as Okta sends it); an event without one is kept.
  { name: 'log_events', collection: COLLECTIONS.objects, filter: (c) => ({ type: 'log_event', oktaLastUpdated: { $type: 'string', $lt: c.logEvents.toISOString() } }) },
];

function escapeRegex(literal: string): string {
  return literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
