import type { RunId, TenantId } from '../ids.js';
import type { Resource } from '../resources.js';
import type { ObjectType, RunCounters, RunRecord, StoredObject, TenantRecord, TenantStatus } from './sync-store.js';

/** Counter name → column, the one place both directions are spelled out. */
export const COUNTER_COLUMNS: Readonly<Record<keyof RunCounters, string>> = {
  pages: 'pages',
  objects: 'objects',
  deleted: 'deleted',
  requests: 'requests',
  rateLimited: 'rate_limited',
  retries: 'retries',
  tokenFetches: 'token_fetches',
  rateLimitWaitMs: 'rate_limit_wait_ms',
};

export type Row = Record<string, unknown>;

export function counterSets(delta: Partial<RunCounters>): string[] {
  return (Object.keys(COUNTER_COLUMNS) as (keyof RunCounters)[])
    .filter((k) => typeof delta[k] === 'number' && delta[k] !== 0)
    .map((k) => `${COUNTER_COLUMNS[k]} = ${COUNTER_COLUMNS[k]} + @${k}`);
}

export function tenantFromRow(row: Row): TenantRecord {
  return {
    tenantId: String(row.tenant_id) as TenantId,
    oktaDomain: String(row.okta_domain),
    auth: JSON.parse(String(row.auth)),
    scopes: JSON.parse(String(row.scopes)),
    ...(row.rate_share === null || row.rate_share === undefined ? {} : { rateShare: Number(row.rate_share) }),
    status: String(row.status) as TenantStatus,
    createdAt: String(row.created_at),
    updatedAt: String(row.updated_at),
  };
}

export function runFromRow(row: Row): RunRecord {
  const counters = Object.fromEntries(
    (Object.entries(COUNTER_COLUMNS) as [keyof RunCounters, string][]).map(([k, col]) => [k, Number(row[col] ?? 0)]),
  ) as unknown as RunCounters;
  return {
    runId: String(row.run_id) as RunId,
    tenantId: String(row.tenant_id) as TenantId,
    resource: String(row.resource) as Resource,
    mode: String(row.mode) as RunRecord['mode'],
    status: String(row.status) as RunRecord['status'],
    createdAt: String(row.created_at),
    startedAt: row.started_at === null ? null : String(row.started_at),
    finishedAt: row.finished_at === null ? null : String(row.finished_at),
    counters,
    error: row.error === null ? null : JSON.parse(String(row.error)),
    warnings: JSON.parse(String(row.warnings ?? '[]')),
  };
}

export function objectFromRow(row: Row): StoredObject {
  return {
    tenantId: String(row.tenant_id) as TenantId,
    type: String(row.type) as ObjectType,
    oktaId: String(row.okta_id),
    data: JSON.parse(String(row.data)),
    oktaLastUpdated: row.okta_last_updated === null ? null : String(row.okta_last_updated),
    syncedAt: String(row.synced_at),
    runId: String(row.run_id) as RunId,
    deletedAt: row.deleted_at === null ? null : String(row.deleted_at),
  };
}
