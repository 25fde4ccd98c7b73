import { asTenantId, type TenantId } from '../../shared/ids.js';
import type { SyncStore } from '../../shared/store/sync-store.js';
import { NotFoundError } from '../../shared/errors.js';

/** The tenant id of a route, or a 404 when no such tenant is registered. */
export async function requireTenant(store: Pick<SyncStore, 'getTenant'>, id: string): Promise<TenantId> {
  const tenantId = asTenantId(id);
  if (!(await store.getTenant(tenantId))) throw new NotFoundError(`tenant ${tenantId}`);
  return tenantId;
}
