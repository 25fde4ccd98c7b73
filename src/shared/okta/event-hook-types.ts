import { CHANGE_EVENT_TYPES } from './change-event-types.js';

/**
 * The System Log event types the integration's Event Hook subscribes to: those that name the object
 * that changed (OKTA-FACTS "Near-real-time"), which the targeted refreshes understand. Okta does not
 * deliver `user.lifecycle.delete.completed` to hooks, so it is not here: hard deletes still come
 * from the System Log watch or a full run's sweep.
 */
export const HOOK_EVENT_TYPES: readonly string[] = [
  ...CHANGE_EVENT_TYPES.user,
  ...CHANGE_EVENT_TYPES.membership,
  ...CHANGE_EVENT_TYPES.group,
  ...CHANGE_EVENT_TYPES.appUser,
  ...CHANGE_EVENT_TYPES.app,
];

const ELIGIBLE: ReadonlySet<string> = new Set(HOOK_EVENT_TYPES);

export function isHookEventType(eventType: string): boolean {
  return ELIGIBLE.has(eventType);
}

/** The scope that creates, verifies and removes Event Hooks (manage implies read). */
export const EVENT_HOOKS_SCOPE = 'okta.eventHooks.manage';

/** Management API paths of the Event Hooks API, in one place (the bucket cross-check test reads them). */
export const EVENT_HOOK_PATHS = {
  list: () => '/api/v1/eventHooks',
  one: (id: string) => `/api/v1/eventHooks/${encodeURIComponent(id)}`,
  lifecycle: (id: string, step: 'verify' | 'activate' | 'deactivate') => `/api/v1/eventHooks/${encodeURIComponent(id)}/lifecycle/${step}`,
} as const;
