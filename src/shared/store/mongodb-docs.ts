import type { ObjectDoc, RunDoc, TenantDoc } from './mongodb-indexes.js';
import { EMPTY_COUNTERS, type RunRecord, type StoredObject, type TenantRecord } from './sync-store.js';

/** Documents to port records: Dates back to ISO strings, storage-only fields dropped. */
export function tenantFromDoc(doc: TenantDoc): TenantRecord {
  const { _id, ...tenant } = doc;
  return tenant;
}

export function runFromDoc(doc: RunDoc): RunRecord {
  const { _id, active, finishedAt, ...run } = doc;
  return { ...run, finishedAt: isoOrNull(finishedAt), counters: { ...EMPTY_COUNTERS, ...run.counters } };
}

export function objectFromDoc(doc: ObjectDoc & { _id?: unknown }): StoredObject {
  return {
    tenantId: doc.tenantId,
    type: doc.type,
    oktaId: doc.oktaId,
    data: doc.data,
    oktaLastUpdated: doc.oktaLastUpdated,
    syncedAt: doc.syncedAt,
    runId: doc.runId,
    deletedAt: isoOrNull(doc.deletedAt),
  };
}

/** A document written before dates were Dates still holds the ISO string. */
function isoOrNull(value: Date | string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  return value instanceof Date ? value.toISOString() : value;
}
