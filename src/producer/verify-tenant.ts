import type { Keyring } from '../shared/crypto.js';
import { NotFoundError, isOktaSyncError } from '../shared/errors.js';
import type { TenantId } from '../shared/ids.js';
import { createOktaClient, emptyStats, type OktaClient } from '../shared/okta/okta-client.js';
import { credentialsOf, type OktaCredentials } from '../shared/okta/okta-credentials.js';
import type { DomainPolicy } from '../shared/okta/okta-domain.js';
import { isOktaError } from '../shared/okta/okta-errors.js';
import type { OktaHttp } from '../shared/okta/okta-http.js';
import { createTokenService, type TokenProvider } from '../shared/okta/token-service.js';
import { RESOURCE_SCOPE, RESOURCES, type Resource } from '../shared/resources.js';
import type { SyncStore, TenantRecord, TenantStatus } from '../shared/store/sync-store.js';
import pLimit from 'p-limit';

/** Whether the integration can read one resource in the customer's org. */
export interface ResourceCheck {
  readable: boolean;
  /** The read scope the resource needs. */
  scope: string;
  /** Why not, or a warning sign (zero users usually means no admin role is assigned). */
  note?: string;
}

/** What `POST /v1/tenants/{id}/verify` and `okta-sync tenant verify` report. Never holds a token. */
export interface VerifyReport {
  tenantId: string;
  /** A token was issued and every resource the tenant registered a scope for is readable. */
  ok: boolean;
  /** The tenant's status after the check (`credentials_invalid` when Okta rejected the client). */
  status: TenantStatus;
  /** Of the tenant's registered scopes, those the org's authorization server granted. */
  grantedScopes: string[];
  resources: Record<Resource, ResourceCheck>;
  error?: { code: string; message: string };
}

export interface VerifyDeps {
  store: SyncStore;
  keyring: Keyring;
  domainPolicy: DomainPolicy;
  http: OktaHttp;
}

/**
 * Requests a token with the tenant's scopes (scope by scope when the org refuses the set, to tell
 * which are granted), then reads one item of each resource. Okta rejecting the client marks the
 * tenant `credentials_invalid`; a later successful verify makes it `active` again.
 */
export async function verifyTenant(deps: VerifyDeps, tenantId: TenantId): Promise<VerifyReport> {
  const tenant = await deps.store.getTenant(tenantId);
  if (!tenant) throw new NotFoundError(`tenant ${tenantId}`);
  let creds: OktaCredentials;
  try {
    creds = credentialsOf(tenant, deps.keyring, deps.domainPolicy);
  } catch (error) {
    return failed(tenant, tenant.status, verifyErrorOf(error, 'credentials_unusable'));
  }
  const check = await checkCredentials(deps.http, creds, tenant.scopes);
  if ('error' in check) {
    const status = isOktaError(check.error, 'okta_invalid_client') ? await setStatus(deps.store, tenant, 'credentials_invalid') : tenant.status;
    return failed(tenant, status, verifyErrorOf(check.error, 'token_request_failed'));
  }
  const status = tenant.status === 'credentials_invalid' ? await setStatus(deps.store, tenant, 'active') : tenant.status;
  const registered = RESOURCES.filter((r) => covers(tenant.scopes, RESOURCE_SCOPE[r]));
  return {
    tenantId,
    ok: check.grantedScopes.length === tenant.scopes.length && registered.every((r) => check.resources[r].readable),
    status,
    grantedScopes: check.grantedScopes,
    resources: check.resources,
  };
}

/** What a live check of credentials found: the token request failed, or granted scopes and per-resource reads. */
export type CredentialCheck = { error: unknown } | { grantedScopes: string[]; resources: Record<Resource, ResourceCheck> };

/**
 * The live part of a verify, on credentials held in memory only: `verifyTenant` runs it on a
 * stored tenant, the connect page on what the customer typed, before anything is stored.
 */
export async function checkCredentials(http: OktaHttp, creds: OktaCredentials, scopes: readonly string[]): Promise<CredentialCheck> {
  // A fresh token source per check: verify must prove the credentials, not reuse a cached token.
  const tokens = createTokenService(http);
  const granted = await grantedScopes(tokens, creds, scopes);
  if ('error' in granted) return granted;
  const okta = createOktaClient({ http, tokens });
  return { grantedScopes: granted.scopes, resources: await checkResources(okta, creds, scopes, granted.scopes) };
}

async function grantedScopes(
  tokens: TokenProvider,
  creds: OktaCredentials,
  scopes: readonly string[],
): Promise<{ scopes: string[] } | { error: unknown }> {
  try {
    await tokens.get(creds, scopes);
    return { scopes: [...scopes] };
  } catch (error) {
    if (!isOktaError(error, 'okta_invalid_scope') || scopes.length === 1) return { error };
  }
  const ok: string[] = [];
  for (const scope of scopes) {
    try {
      await tokens.get(creds, [scope]);
      ok.push(scope);
    } catch (error) {
      if (!isOktaError(error, 'okta_invalid_scope')) return { error };
    }
  }
  return { scopes: ok };
}

/**
 * Reads in flight at once during a verify: the resources sit in different buckets, so a few at a
 * time cost the customer no more of any one bucket and answer in the time of the slowest, while
 * the bound (p-limit) keeps verify from bursting against Okta's concurrency limit.
 */
export const VERIFY_CONCURRENCY = 3;

/** One-item reads, a few resources at a time; members need a group id, so they follow the groups read. */
async function checkResources(
  okta: OktaClient,
  creds: OktaCredentials,
  registered: readonly string[],
  granted: readonly string[],
): Promise<Record<Resource, ResourceCheck>> {
  const out = {} as Record<Resource, ResourceCheck>;
  const limit = pLimit(VERIFY_CONCURRENCY);
  const check = (resource: Resource, groups?: { readable: boolean; firstId: string | undefined }) =>
    limit(() => checkOne(okta, creds, registered, granted, resource, groups));
  await Promise.all(
    RESOURCES.filter((r) => r !== 'memberships').map(async (resource) => {
      const result = await check(resource);
      out[resource] = result.check;
      if (resource === 'groups') {
        out.memberships = (await check('memberships', { readable: result.check.readable, firstId: result.firstId })).check;
      }
    }),
  );
  return Object.fromEntries(RESOURCES.map((r) => [r, out[r]])) as Record<Resource, ResourceCheck>;
}

async function checkOne(
  okta: OktaClient,
  creds: OktaCredentials,
  registered: readonly string[],
  granted: readonly string[],
  resource: Resource,
  groups: { readable: boolean; firstId: string | undefined } | undefined,
): Promise<{ check: ResourceCheck; firstId?: string }> {
  const scope = RESOURCE_SCOPE[resource];
  const tokenScopes = granted.filter((s) => covers([s], scope));
  if (!covers(registered, scope)) return { check: { readable: false, scope, note: `${scope} is not among the tenant's scopes` } };
  if (tokenScopes.length === 0) return { check: { readable: false, scope, note: `the org did not grant ${scope} to the integration` } };
  const path = probePath(resource, groups?.firstId);
  // No group to list members of: as readable as the groups are.
  if (path === undefined) return { check: { readable: groups?.readable ?? false, scope, note: 'no group to list members of' } };
  try {
    const page = await okta.getPage(creds, `${creds.origin}${path}`, tokenScopes, emptyStats(), 1);
    const note = page.items.length === 0 ? emptyNote(resource) : undefined;
    const firstId = idOf(page.items[0]);
    return { check: { readable: true, scope, ...(note === undefined ? {} : { note }) }, ...(firstId === undefined ? {} : { firstId }) };
  } catch (error) {
    const e = verifyErrorOf(error, 'read_failed');
    return { check: { readable: false, scope, note: `${e.code}: ${e.message}` } };
  }
}

function probePath(resource: Resource, firstGroupId: string | undefined): string | undefined {
  switch (resource) {
    case 'users':
      return '/api/v1/users?limit=1';
    case 'groups':
      return '/api/v1/groups?limit=1';
    case 'memberships':
      return firstGroupId === undefined ? undefined : `/api/v1/groups/${encodeURIComponent(firstGroupId)}/users?limit=1`;
    case 'apps':
      return '/api/v1/apps?limit=1';
    case 'logs':
      return '/api/v1/logs?limit=1';
  }
}

function emptyNote(resource: Resource): string | undefined {
  if (resource === 'users' || resource === 'groups' || resource === 'apps') {
    return `0 ${resource} returned: no admin role assigned to the integration?`;
  }
  return resource === 'logs' ? 'no System Log events in the last 7 days' : undefined;
}

/** `okta.users.manage` implies `okta.users.read`. */
export function covers(scopes: readonly string[], readScope: string): boolean {
  return scopes.includes(readScope) || scopes.includes(readScope.replace(/\.read$/, '.manage'));
}

function idOf(item: unknown): string | undefined {
  const id = (item as { id?: unknown } | undefined)?.id;
  return typeof id === 'string' ? id : undefined;
}

async function setStatus(store: SyncStore, tenant: TenantRecord, status: TenantStatus): Promise<TenantStatus> {
  if (tenant.status === 'disabled' || tenant.status === status) return tenant.status;
  await store.setTenantStatus(tenant.tenantId, status, new Date().toISOString());
  return status;
}

function failed(tenant: TenantRecord, status: TenantStatus, error: { code: string; message: string }): VerifyReport {
  const resources = Object.fromEntries(
    RESOURCES.map((r) => [r, { readable: false, scope: RESOURCE_SCOPE[r], note: 'not checked: no token' }]),
  ) as Record<Resource, ResourceCheck>;
  return { tenantId: tenant.tenantId, ok: false, status, grantedScopes: [], resources, error };
}

/** Our errors carry safe messages (no secrets, no tokens); anything else is reported by code only. */
export function verifyErrorOf(error: unknown, fallback: string): { code: string; message: string } {
  // Okta's own rejection (it has a status); a key we could not even use keeps its own message.
  if (isOktaError(error, 'okta_invalid_client') && error.context.status !== undefined) {
    return { code: error.code, message: 'Okta rejected the client credentials: check the client ID and the secret or private key' };
  }
  if (isOktaSyncError(error)) return { code: error.code, message: error.message };
  return { code: fallback, message: 'unexpected error' };
}
