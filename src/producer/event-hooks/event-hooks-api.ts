import { OktaSyncError } from '../../shared/errors.js';
import { EVENT_HOOK_PATHS, EVENT_HOOKS_SCOPE } from '../../shared/okta/event-hook-types.js';
import { type CallStats, createOktaClient, emptyStats } from '../../shared/okta/okta-client.js';
import type { OktaCredentials } from '../../shared/okta/okta-credentials.js';
import { isOktaError } from '../../shared/okta/okta-errors.js';
import type { OktaHttp } from '../../shared/okta/okta-http.js';
import { createTokenService } from '../../shared/okta/token-service.js';

/** The org refused `okta.eventHooks.manage`: the one line the CLI prints (exit 1). */
export class EventHooksRefusedError extends OktaSyncError {
  constructor(cause: unknown) {
    super(
      'event_hooks_not_granted',
      `the org did not grant ${EVENT_HOOKS_SCOPE} (or an admin role) to the integration, so no event hook was installed; the System Log watch alone keeps the data fresh (okta-sync tenant watch)`,
      { cause },
    );
  }
}

/** One call of Okta's Event Hooks API: the JSON body of the answer. */
export type EventHooksApi = (method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown) => Promise<unknown>;

/**
 * Okta's Event Hooks API for one tenant, with a token asking for `okta.eventHooks.manage` (the
 * org decides whether it is granted: a refusal is `EventHooksRefusedError`).
 */
export function eventHooksApi(http: OktaHttp, creds: OktaCredentials): EventHooksApi {
  const okta = createOktaClient({ http, tokens: createTokenService(http) });
  const withScope: OktaCredentials = { ...creds, grantedScopes: [...new Set([...creds.grantedScopes, EVENT_HOOKS_SCOPE])] };
  return async (method, path, body) => {
    const stats: CallStats = emptyStats();
    try {
      return (await okta.call(withScope, { method, path, ...(body === undefined ? {} : { body }) }, [EVENT_HOOKS_SCOPE], stats, 1)).body;
    } catch (error) {
      if (isOktaError(error, 'okta_invalid_scope') || isOktaError(error, 'okta_insufficient_scope')) throw new EventHooksRefusedError(error);
      throw error;
    }
  };
}

/** Okta deletes only INACTIVE hooks: deactivate, then delete; a hook already gone is fine. */
export async function removeHook(api: EventHooksApi, id: string): Promise<void> {
  try {
    await api('POST', EVENT_HOOK_PATHS.lifecycle(id, 'deactivate'));
    await api('DELETE', EVENT_HOOK_PATHS.one(id));
  } catch (error) {
    if (!isOktaError(error, 'okta_not_found')) throw error;
  }
}
