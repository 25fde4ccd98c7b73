import type { Keyring } from '../../shared/crypto.js';
import { ValidationError } from '../../shared/errors.js';
import type { TenantId } from '../../shared/ids.js';
import type { Logger } from '../../shared/logger.js';
import type { OktaCredentials } from '../../shared/okta/okta-credentials.js';
import { type DomainPolicy, parseOktaDomain } from '../../shared/okta/okta-domain.js';
import { isOktaError } from '../../shared/okta/okta-errors.js';
import type { OktaHttp } from '../../shared/okta/okta-http.js';
import type { Resource } from '../../shared/resources.js';
import type { ConnectLinkRecord, SyncStore, TenantRecord } from '../../shared/store/sync-store.js';
import { DEFAULT_SCOPES, putTenant } from '../tenant-service.js';
import { checkCredentials, type CredentialCheck, type ResourceCheck } from '../verify-tenant.js';
import { tokenFailureMessage } from './connect-messages.js';

/** What a tenant connected through the page reports to whoever listens (the `tenant.connected` webhook seam). */
export interface TenantConnected {
  tenantId: TenantId;
  grantedScopes: string[];
  /** Every needed scope granted and every resource readable without a warning. */
  ok: boolean;
}

export interface ConnectDeps {
  store: SyncStore;
  keyring: Keyring;
  domainPolicy: DomainPolicy;
  http: OktaHttp;
  logger: Logger;
  /** Called once a tenant is stored; failures are logged, never shown to the customer. Default: none. */
  onConnected?: (event: TenantConnected) => Promise<void>;
}

/** What the customer typed. The secret lives only in this object, for this request. */
export interface ConnectForm {
  oktaDomain: string;
  clientId: string;
  clientSecret: string;
}

export type ConnectOutcome =
  | { kind: 'invalid'; message: string; fields: Record<string, string> }
  | { kind: 'refused'; message: string }
  | { kind: 'used' }
  | { kind: 'connected'; tenantId: TenantId; neededScopes: string[]; grantedScopes: string[]; resources: Record<Resource, ResourceCheck>; ok: boolean };

const CLIENT_ID = /^[A-Za-z0-9_-]{1,100}$/;

/** The scopes the link's tenant needs: those already registered for it, else every read scope. */
export async function neededScopes(store: SyncStore, tenantId: TenantId): Promise<{ scopes: string[]; existing?: TenantRecord }> {
  const existing = await store.getTenant(tenantId);
  return existing ? { scopes: [...existing.scopes], existing } : { scopes: [...DEFAULT_SCOPES] };
}

/**
 * The connect page's use case: validate → verify live (token, granted scopes, one read per
 * resource) → claim the link → store the tenant encrypted → notify. Nothing is stored unless
 * Okta issued a token for at least one needed scope; the link stays usable until then.
 */
export async function submitConnect(deps: ConnectDeps, link: ConnectLinkRecord, form: ConnectForm): Promise<ConnectOutcome> {
  const invalid = validate(form, deps.domainPolicy);
  if ('message' in invalid) return { kind: 'invalid', ...invalid };
  const { scopes, existing } = await neededScopes(deps.store, link.tenantId);
  const creds: OktaCredentials = {
    tenantId: link.tenantId,
    origin: invalid.origin,
    clientId: form.clientId.trim(),
    method: 'client_secret',
    secret: form.clientSecret,
    dpop: existing?.auth.dpop ?? false,
    grantedScopes: scopes,
  };
  let check = await checkCredentials(deps.http, creds, scopes);
  // New API Services apps require DPoP by default: the org says so with invalid_dpop_proof.
  if ('error' in check && !creds.dpop && dpopDemanded(check)) {
    creds.dpop = true;
    check = await checkCredentials(deps.http, creds, scopes);
  }
  if ('error' in check) return { kind: 'refused', message: tokenFailureMessage(check.error, invalid.domain) };
  if (check.grantedScopes.length === 0) {
    return { kind: 'refused', message: `Okta accepted the credentials but granted none of the scopes the integration needs (${scopes.join(', ')}).` };
  }
  if (!(await deps.store.useConnectLink(link.tokenHash, new Date().toISOString()))) return { kind: 'used' };
  await putTenant(deps, {
    tenantId: link.tenantId,
    oktaDomain: invalid.domain,
    clientId: creds.clientId,
    clientSecret: form.clientSecret,
    scopes,
    dpop: creds.dpop,
    ...(existing?.rateShare === undefined ? {} : { rateShare: existing.rateShare }),
  });
  const ok = check.grantedScopes.length === scopes.length && Object.values(check.resources).every((r) => r.readable && r.note === undefined);
  deps.logger.info({ tenantId: link.tenantId, ok, granted: check.grantedScopes.length, dpop: creds.dpop }, 'tenant connected through the connect page');
  await notify(deps, { tenantId: link.tenantId, grantedScopes: check.grantedScopes, ok });
  return { kind: 'connected', tenantId: link.tenantId, neededScopes: scopes, grantedScopes: check.grantedScopes, resources: check.resources, ok };
}

function validate(form: ConnectForm, policy: DomainPolicy): { domain: string; origin: string } | { message: string; fields: Record<string, string> } {
  const fields: Record<string, string> = {};
  let parsed: { domain: string; origin: string } | undefined;
  try {
    parsed = parseOktaDomain(form.oktaDomain, policy);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    fields.oktaDomain = `The Okta domain ${error.fields.oktaDomain ?? 'is not valid'}.`;
  }
  if (!CLIENT_ID.test(form.clientId.trim())) fields.clientId = 'The client ID is letters, digits, "_" or "-" (copy it from the integration in Okta).';
  if (form.clientSecret.length === 0 || form.clientSecret.length > 1000) fields.clientSecret = 'Paste the client secret (it is shown once, when the integration is added).';
  if (parsed && Object.keys(fields).length === 0) return parsed;
  return { message: Object.values(fields).join(' '), fields };
}

function dpopDemanded(check: CredentialCheck): boolean {
  return 'error' in check && isOktaError(check.error) && check.error.context.oktaCode === 'invalid_dpop_proof';
}

async function notify(deps: ConnectDeps, event: TenantConnected): Promise<void> {
  if (!deps.onConnected) return;
  try {
    await deps.onConnected(event);
  } catch (error) {
    deps.logger.warn({ tenantId: event.tenantId, err: { message: error instanceof Error ? error.message : 'unknown' } }, 'tenant.connected notification failed');
  }
}
