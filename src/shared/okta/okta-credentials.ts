import type { Keyring } from '../crypto.js';
import type { TenantId } from '../ids.js';
import type { AuthMethod, TenantRecord } from '../store/sync-store.js';
import { type DomainPolicy, parseOktaDomain } from './okta-domain.js';

/** A tenant's decrypted credentials, held in memory only for the duration of a call. */
export interface OktaCredentials {
  tenantId: TenantId;
  /** `https://acme.okta.com`: every token and API request of this tenant goes here and nowhere else. */
  origin: string;
  clientId: string;
  method: AuthMethod;
  /** Client secret, or the private key PEM for private_key_jwt. */
  secret: string;
  keyId?: string;
  dpop: boolean;
  /** Scopes granted to the integration in this org. */
  grantedScopes: readonly string[];
}

/** AAD for a tenant's stored credential: a ciphertext cannot be moved to another tenant. */
export function credentialContext(tenantId: TenantId): string {
  return `okta-sync:credential:${tenantId}`;
}

/** Decrypts a tenant's credential and re-checks its domain against the current policy. */
export function credentialsOf(tenant: TenantRecord, keyring: Keyring, policy: DomainPolicy): OktaCredentials {
  const { origin } = parseOktaDomain(tenant.oktaDomain, policy);
  return {
    tenantId: tenant.tenantId,
    origin,
    clientId: tenant.auth.clientId,
    method: tenant.auth.method,
    secret: keyring.decrypt(tenant.auth.credential, credentialContext(tenant.tenantId)),
    ...(tenant.auth.keyId === undefined ? {} : { keyId: tenant.auth.keyId }),
    dpop: tenant.auth.dpop,
    grantedScopes: tenant.scopes,
  };
}
