import { randomUUID } from 'node:crypto';

/**
 * Glossary
 * - tenant: one customer's Okta org as registered with us (`TenantId` is chosen by the upstream system).
 * - resource: what a run syncs: users, groups, memberships, apps, logs.
 * - run: one sync of one resource of one tenant (`RunId`), a chain of page jobs.
 * - page job: fetch one Okta page, write it, enqueue the next page.
 */
declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

export type TenantId = Brand<string, 'TenantId'>;
export type RunId = Brand<string, 'RunId'>;

/** Tenant ids appear in Redis keys, job ids and URLs, so keep them to a safe alphabet. */
export const TENANT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export function isTenantId(value: string): value is TenantId {
  return TENANT_ID_PATTERN.test(value);
}

export function asTenantId(value: string): TenantId {
  if (!isTenantId(value)) {
    throw new TypeError('tenantId must be 1-64 characters of letters, digits, "_", "." or "-"');
  }
  return value;
}

export function newRunId(): RunId {
  // Time-ordered prefix so runs sort by creation in listings and logs.
  return `run_${Date.now().toString(36)}_${randomUUID().replaceAll('-', '').slice(0, 12)}` as RunId;
}

export function asRunId(value: string): RunId {
  return value as RunId;
}
