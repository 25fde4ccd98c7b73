import type { TenantId } from '../shared/ids.js';
import { RESOURCES, type Resource } from '../shared/resources.js';
import { OBJECT_TYPES, type SyncStore, type TenantRecord } from '../shared/store/sync-store.js';
import { HttpError } from './api/http-errors.js';

/**
 * A tenant id's data is bound to the Okta org it came from (issue 14). The binding is kept as one
 * more `sync_state` row (key `org`, value `domain client-id`), because that row is exactly as long-lived
 * as the data it guards: `DELETE` without purgeData keeps both, `?purgeData=true` removes both.
 */
const ORG_KEY = 'org' as Resource;

export interface OrgBinding {
  oktaDomain: string;
  clientId: string;
}

/**
 * Refuses a registration that would let another org inherit this id's objects, runs or watermarks
 * (409 `tenant_org_changed`, naming purgeData). Allowed: the same org again; a new client id for a
 * registered tenant in the same org (credential rotation); anything while the id holds no data.
 */
export async function checkOrgBinding(store: SyncStore, existing: TenantRecord | undefined, next: TenantRecord): Promise<void> {
  const bound = existing ? { oktaDomain: existing.oktaDomain, clientId: existing.auth.clientId } : await readBinding(store, next.tenantId);
  const sameOrg = bound !== undefined && bound.oktaDomain === next.oktaDomain && (existing !== undefined || bound.clientId === next.auth.clientId);
  if (sameOrg || !(await holdsData(store, next.tenantId))) return;
  const from = bound ? `${bound.oktaDomain} (client ${bound.clientId})` : 'an earlier registration';
  throw new HttpError(
    409,
    'tenant_org_changed',
    `tenant ${next.tenantId} holds data synced from ${from}; remove it with purgeData first ` +
      `(DELETE /v1/tenants/${next.tenantId}?purgeData=true or okta-sync tenant remove ${next.tenantId} --purge-data) or use a new tenant id`,
  );
}

export async function writeOrgBinding(store: SyncStore, tenant: TenantRecord): Promise<void> {
  await store.setWatermark(tenant.tenantId, ORG_KEY, JSON.stringify({ oktaDomain: tenant.oktaDomain, clientId: tenant.auth.clientId }), tenant.updatedAt);
}

export async function readBinding(store: SyncStore, tenantId: TenantId): Promise<OrgBinding | undefined> {
  const raw = await store.getWatermark(tenantId, ORG_KEY);
  if (raw === undefined) return undefined;
  try {
    const value = JSON.parse(raw) as Partial<OrgBinding>;
    return typeof value.oktaDomain === 'string' && typeof value.clientId === 'string' ? { oktaDomain: value.oktaDomain, clientId: value.clientId } : undefined;
  } catch {
    return undefined;
  }
}

/** True when any run, object (deleted ones too) or watermark of the tenant id is stored. */
export async function holdsData(store: SyncStore, tenantId: TenantId): Promise<boolean> {
  if ((await store.listRuns({ tenantId, limit: 1 })).length > 0) return true;
  for (const type of OBJECT_TYPES) {
    if ((await store.listObjects({ tenantId, type, limit: 1, includeDeleted: true })).items.length > 0) return true;
  }
  for (const resource of RESOURCES) if ((await store.getWatermark(tenantId, resource)) !== undefined) return true;
  return false;
}
