import type { ObjectType } from './store/sync-store.js';

/** What a run syncs. Each resource writes one object type and needs one scope. */
export const RESOURCES = ['users', 'groups', 'memberships', 'apps', 'logs'] as const;
export type Resource = (typeof RESOURCES)[number];

export function isResource(value: string): value is Resource {
  return (RESOURCES as readonly string[]).includes(value);
}

export const RESOURCE_OBJECT_TYPE: Readonly<Record<Resource, ObjectType>> = {
  users: 'user',
  groups: 'group',
  memberships: 'membership',
  apps: 'app',
  logs: 'log_event',
};

/** Least privilege: the one read scope each resource needs (OKTA-FACTS "Scopes"). */
export const RESOURCE_SCOPE: Readonly<Record<Resource, string>> = {
  users: 'okta.users.read',
  groups: 'okta.groups.read',
  memberships: 'okta.groups.read',
  apps: 'okta.apps.read',
  logs: 'okta.logs.read',
};

/** The resource an `okta-sync export --resource` name refers to. */
export function objectTypeOf(resource: Resource): ObjectType {
  return RESOURCE_OBJECT_TYPE[resource];
}

/**
 * What `okta-sync export --resource` (and the objects API) reads: each resource's type, plus
 * `app_users`, the app assignments an apps run writes beside the apps.
 */
export const EXPORTABLE_TYPES: Readonly<Record<Resource | 'app_users', ObjectType>> = { ...RESOURCE_OBJECT_TYPE, app_users: 'app_user' };
export type Exportable = keyof typeof EXPORTABLE_TYPES;

export function isExportable(value: string): value is Exportable {
  return Object.hasOwn(EXPORTABLE_TYPES, value);
}
