import type { Resource } from '../../shared/resources.js';
import { appsSync } from './apps.js';
import { groupsSync } from './groups.js';
import { logsSync } from './logs.js';
import { membershipsSync } from './memberships.js';
import type { ResourceSync } from './resource-sync.js';
import { usersSync } from './users.js';

/** The resources the page processor can sync; a resource missing here fails its runs cleanly. */
export const RESOURCE_SYNCS: Partial<Record<Resource, ResourceSync>> = {
  users: usersSync,
  groups: groupsSync,
  memberships: membershipsSync,
  apps: appsSync,
  logs: logsSync,
};
