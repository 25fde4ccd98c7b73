/**
 * System Log event types that name the object that changed (OKTA-FACTS "Near-real-time"), by what
 * they change: the watch's refresh mapping reads them, and the Event Hook subscribes to them.
 */
export const CHANGE_EVENT_TYPES = {
  /** The User target is re-read. */
  user: [
    'user.lifecycle.create',
    'user.lifecycle.activate',
    'user.lifecycle.deactivate',
    'user.lifecycle.suspend',
    'user.lifecycle.unsuspend',
    'user.lifecycle.reactivate',
    'user.lifecycle.delete.initiated',
    'user.account.update_profile',
  ],
  /** A hard delete: the user (and its memberships and assignments) is marked deleted. Not hook-eligible. */
  userDeleted: ['user.lifecycle.delete.completed'],
  /** One membership (User + UserGroup targets) is added or removed. */
  membership: ['group.user_membership.add', 'group.user_membership.remove'],
  /** The UserGroup target is re-read. */
  group: ['group.lifecycle.create', 'group.lifecycle.delete', 'group.profile.update'],
  /** One app assignment (AppInstance + User targets) is re-read. */
  appUser: ['application.user_membership.add', 'application.user_membership.remove', 'application.user_membership.update'],
  /** The AppInstance target is re-read. */
  app: [
    'application.lifecycle.create',
    'application.lifecycle.update',
    'application.lifecycle.activate',
    'application.lifecycle.deactivate',
    'application.lifecycle.delete',
  ],
} as const;
