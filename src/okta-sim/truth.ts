import type { SimApp, SimGroup, SimLogEvent, SimUser } from './org-model.js';
import type { OrgStore } from './org-store.js';

/** Ground truth of one org, for tests to compare a sync against (`GET /__sim/truth`). */
export interface OrgTruth {
  /** Every user that exists, DEPROVISIONED included; hard-deleted users are gone. */
  users: SimUser[];
  groups: SimGroup[];
  /** `${groupId}:${userId}`, sorted */
  memberships: string[];
  apps: SimApp[];
  /** `${appId}:${userId}`, sorted */
  appUsers: string[];
  /** In persistence order. */
  logEvents: SimLogEvent[];
}

export function buildTruth(store: OrgStore): OrgTruth {
  const { data } = store;
  const memberships: string[] = [];
  for (const [groupId, members] of data.members) for (const userId of members) memberships.push(`${groupId}:${userId}`);
  const appUsers: string[] = [];
  for (const [appId, assigned] of data.appUsers) for (const userId of assigned.keys()) appUsers.push(`${appId}:${userId}`);
  return {
    users: store.sortedUsers(),
    groups: store.sortedGroups(),
    memberships: memberships.sort(),
    apps: store.sortedApps(),
    appUsers: appUsers.sort(),
    logEvents: data.logs.map((record) => record.event),
  };
}
