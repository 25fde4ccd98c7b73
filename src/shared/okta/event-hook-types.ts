/**
 * The System Log event types the integration's Event Hook subscribes to: those that name the object
 * that changed (OKTA-FACTS "Near-real-time"), which the targeted refreshes understand. Okta does not
 * deliver `user.lifecycle.delete.completed` to hooks, so it is not here: hard deletes still come
 * from the System Log watch or a full run's sweep.
 */
export const HOOK_EVENT_TYPES = [
  'user.lifecycle.create',
  'user.lifecycle.activate',
  'user.lifecycle.deactivate',
  'user.lifecycle.suspend',
  'user.lifecycle.unsuspend',
  'user.lifecycle.reactivate',
  'user.lifecycle.delete.initiated',
  'user.account.update_profile',
  'group.user_membership.add',
  'group.user_membership.remove',
  'group.lifecycle.create',
  'group.lifecycle.delete',
  'group.profile.update',
  'application.user_membership.add',
  'application.user_membership.remove',
  'application.user_membership.update',
  'application.lifecycle.create',
  'application.lifecycle.update',
  'application.lifecycle.activate',
  'application.lifecycle.deactivate',
  'application.lifecycle.delete',
] as const;

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
