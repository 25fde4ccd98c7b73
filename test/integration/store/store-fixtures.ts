import { asTenantId, newRunId, type RunId, type TenantId } from '../../../src/shared/ids.js';
import type { Resource } from '../../../src/shared/resources.js';
import {
  EMPTY_COUNTERS,
  type ObjectType,
  type ObjectWrite,
  type PageCommit,
  type RunRecord,
  type SyncStore,
  type TenantRecord,
} from '../../../src/shared/store/sync-store.js';

/** The store under test, opened fresh for each test by the contract's own hooks. */
export type CurrentStore = () => SyncStore;

/** Records for the store contract: valid by default, each field overridable. */
export const T0 = '2024-05-01T10:00:00.000Z';
export const T1 = '2024-05-01T11:00:00.000Z';
export const T2 = '2024-05-01T12:00:00.000Z';

export function tenantRecord(id: string, overrides: Partial<TenantRecord> = {}): TenantRecord {
  return {
    tenantId: asTenantId(id),
    oktaDomain: `${id}.okta.com`,
    auth: { method: 'private_key_jwt', clientId: `client-${id}`, credential: 'v1:kid:ciphertext', keyId: 'kid-1', dpop: true },
    scopes: ['okta.users.read', 'okta.groups.read'],
    status: 'active',
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  };
}

export function runRecord(tenantId: TenantId, resource: Resource, overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    runId: newRunId(),
    tenantId,
    resource,
    mode: 'full',
    status: 'queued',
    createdAt: T0,
    startedAt: null,
    finishedAt: null,
    counters: { ...EMPTY_COUNTERS },
    error: null,
    warnings: [],
    ...overrides,
  };
}

export function objectWrite(oktaId: string, data: unknown = { id: oktaId }): ObjectWrite {
  return { oktaId, data, oktaLastUpdated: T0 };
}

export function pageCommit(
  tenantId: TenantId,
  runId: RunId,
  pageKey: string,
  objects: ObjectWrite[],
  options: { type?: ObjectType; at?: string } = {},
): PageCommit {
  return { tenantId, runId, type: options.type ?? 'user', pageKey, objects, at: options.at ?? T1 };
}
