import type { ChangeEvent, RefreshJob, RefreshKind } from '../../shared/jobs.js';
import { CHANGE_EVENT_TYPES } from '../../shared/okta/change-event-types.js';

/** A refresh as the mapping decides it; the events job adds the tenant. */
export type Refresh = Omit<RefreshJob, 'tenantId'>;

// The types by what they change (OKTA-FACTS "Near-real-time"; shared with the Event Hook's subscription).
const USER_EVENTS: ReadonlySet<string> = new Set(CHANGE_EVENT_TYPES.user);
const USER_DELETED = CHANGE_EVENT_TYPES.userDeleted[0];
const MEMBERSHIP_EVENTS: Readonly<Record<string, RefreshKind>> = {
  'group.user_membership.add': 'membership_add',
  'group.user_membership.remove': 'membership_remove',
} satisfies Record<(typeof CHANGE_EVENT_TYPES.membership)[number], RefreshKind>;
const GROUP_EVENTS: ReadonlySet<string> = new Set(CHANGE_EVENT_TYPES.group);
const APP_USER_EVENTS: ReadonlySet<string> = new Set(CHANGE_EVENT_TYPES.appUser);
const APP_EVENTS: ReadonlySet<string> = new Set(CHANGE_EVENT_TYPES.app);

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
