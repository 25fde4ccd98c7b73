import { NotFoundError, OktaSyncError } from '../../shared/errors.js';
import type { TenantId } from '../../shared/ids.js';
import { credentialsOf } from '../../shared/okta/okta-credentials.js';
import { EventHooksRefusedError, eventHooksApi, removeHook } from './event-hooks-api.js';
import type { InstallEventHookDeps } from './install-event-hook.js';

/** What `okta-sync tenant hooks remove` prints. */
export interface UninstallReport {
  tenantId: string;
  /** The hook removed from the org (null: the install never got as far as creating one). */
  oktaHookId: string | null;
  status: 'removed';
}

/**
 * Removes the tenant's Event Hook from its org (deactivated, then deleted, as Okta requires) and
 * then our record of it, so the org stops calling us and the hook stops counting against its 25.
 * If the org refuses okta.eventHooks.manage the record is still removed (deliveries then get 401)
 * and the error says to delete the hook in the Admin Console.
 */
export async function uninstallEventHook(deps: InstallEventHookDeps, tenantId: TenantId): Promise<UninstallReport> {
  const tenant = await deps.store.getTenant(tenantId);
  if (!tenant) throw new NotFoundError(`tenant ${tenantId}`);
  const hook = await deps.store.getEventHook(tenantId);
  if (!hook) throw new NotFoundError(`event hook of tenant ${tenantId}`);
  if (hook.oktaHookId !== null) {
    try {
      await removeHook(eventHooksApi(deps.http, credentialsOf(tenant, deps.keyring, deps.domainPolicy)), hook.oktaHookId);
    } catch (error) {
      if (!(error instanceof EventHooksRefusedError)) throw error;
      await deps.store.deleteEventHook(tenantId);
      throw new OktaSyncError(
        'event_hooks_not_granted',
        `the org no longer grants okta.eventHooks.manage, so event hook ${hook.oktaHookId} stays in the org: delete it in the Okta Admin Console (its deliveries are refused meanwhile; our record was removed)`,
        { cause: error },
      );
    }
  }
  await deps.store.deleteEventHook(tenantId);
  return { tenantId, oktaHookId: hook.oktaHookId, status: 'removed' };
}
