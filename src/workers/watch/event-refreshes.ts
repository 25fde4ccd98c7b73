import type { ChangeEvent, RefreshJob, RefreshKind } from '../../shared/jobs.js';

/** A refresh as the mapping decides it; the events job adds the tenant. */
export type Refresh = Omit<RefreshJob, 'tenantId'>;

/** Event types (OKTA-FACTS "Near-real-time") whose User target is re-read. */
const USER_EVENTS = new Set([
  'user.lifecycle.create',
  'user.lifecycle.activate',
  'user.lifecycle.deactivate',
  'user.lifecycle.suspend',
  'user.lifecycle.unsuspend',
  'user.lifecycle.reactivate',
  'user.lifecycle.delete.initiated',
  'user.account.update_profile',
]);
const USER_DELETED = 'user.lifecycle.delete.completed';
const MEMBERSHIP_EVENTS: Readonly<Record<string, RefreshKind>> = {
  'group.user_membership.add': 'membership_add',
  'group.user_membership.remove': 'membership_remove',
};
const GROUP_EVENTS = new Set(['group.lifecycle.create', 'group.lifecycle.delete', 'group.profile.update']);
const APP_USER_EVENTS = new Set(['application.user_membership.add', 'application.user_membership.remove', 'application.user_membership.update']);
const APP_EVENTS = new Set([
  'application.lifecycle.create',
  'application.lifecycle.update',
  'application.lifecycle.activate',
  'application.lifecycle.deactivate',
  'application.lifecycle.delete',
]);

/** True for the event types the mapping turns into refresh work (the rest of the log is only stored). */
export function isRefreshEvent(eventType: string): boolean {
  return (
    USER_EVENTS.has(eventType) ||
    eventType === USER_DELETED ||
    eventType in MEMBERSHIP_EVENTS ||
    GROUP_EVENTS.has(eventType) ||
    APP_USER_EVENTS.has(eventType) ||
    APP_EVENTS.has(eventType)
  );
}

/** The refresh one event asks for, or undefined (not a change event, or its targets are missing). */
export function refreshOf(event: ChangeEvent): Pick<Refresh, 'kind' | 'id'> | undefined {
  const target = (type: string) => event.target?.find((t) => t.type === type)?.id;
  const type = event.eventType;
  if (USER_EVENTS.has(type) || type === USER_DELETED) {
    const user = target('User');
    return user === undefined ? undefined : { kind: type === USER_DELETED ? 'user_deleted' : 'user', id: user };
  }
  const membership = MEMBERSHIP_EVENTS[type];
  if (membership) {
    const group = target('UserGroup');
    const user = target('User');
    return group === undefined || user === undefined ? undefined : { kind: membership, id: `${group}:${user}` };
  }
  if (GROUP_EVENTS.has(type)) {
    const group = target('UserGroup');
    return group === undefined ? undefined : { kind: 'group', id: group };
  }
  if (APP_USER_EVENTS.has(type)) {
    const app = target('AppInstance');
    const user = target('User');
    return app === undefined || user === undefined ? undefined : { kind: 'app_user', id: `${app}:${user}` };
  }
  if (APP_EVENTS.has(type)) {
    const app = target('AppInstance');
    return app === undefined ? undefined : { kind: 'app', id: app };
  }
  return undefined;
}

/** Objects a refresh is about: one membership's add and remove are the same object, the last event decides. */
function objectKey(r: Pick<Refresh, 'kind' | 'id'>): string {
  if (r.kind === 'membership_add' || r.kind === 'membership_remove') return `membership/${r.id}`;
  if (r.kind === 'user_deleted') return `user/${r.id}`;
  return `${r.kind}/${r.id}`;
}

function publishedMs(event: ChangeEvent): number {
  const ms = Date.parse(event.published);
  return Number.isFinite(ms) ? Math.max(0, ms) : 0;
}

/**
 * Events (in log order) → refreshes, coalesced per object: one re-read of a user however many of
 * its events there are; a membership's last add or remove wins (later in the list, or later
 * `published`); a hard delete wins over any re-read of that user, and the user's membership adds
 * and app-user re-reads in the same batch are dropped (its delete marks them all). Each refresh
 * keeps the earliest `published` (lag) and the latest (ordering of membership changes).
 */
export function refreshesFor(events: readonly ChangeEvent[]): Refresh[] {
  const byObject = new Map<string, Refresh>();
  for (const event of events) {
    const asked = refreshOf(event);
    if (!asked) continue;
    const key = objectKey(asked);
    const at = publishedMs(event);
    const seen = byObject.get(key);
    if (!seen) {
      byObject.set(key, { ...asked, published: event.published, lastPublishedMs: at });
      continue;
    }
    const kind = seen.kind === 'user_deleted' || asked.kind === 'user_deleted' ? 'user_deleted' : at >= seen.lastPublishedMs ? asked.kind : seen.kind;
    const earliest = Date.parse(seen.published) <= at ? seen.published : event.published;
    byObject.set(key, { kind, id: asked.id, published: earliest, lastPublishedMs: Math.max(seen.lastPublishedMs, at) });
  }
  const deletedUsers = new Set([...byObject.values()].filter((r) => r.kind === 'user_deleted').map((r) => r.id));
  return [...byObject.values()].filter((r) => {
    if (r.kind !== 'membership_add' && r.kind !== 'app_user') return true;
    return !deletedUsers.has(r.id.slice(r.id.indexOf(':') + 1));
  });
}
