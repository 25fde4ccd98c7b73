import { createHash } from 'node:crypto';
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
  /**
   * Identifies this credential (origin, client, method, key id, DPoP, secret) without revealing it.
   * Cached tokens are bound to it, so new credentials never reuse a token the old ones obtained.
   */
  version?: string;
}

/** A digest of everything a token is obtained with: changes whenever any of it changes. */
export function credentialVersion(c: Pick<OktaCredentials, 'origin' | 'clientId' | 'method' | 'secret' | 'keyId' | 'dpop'>): string {
  const text = ['okta-sync:credential-version', c.origin, c.clientId, c.method, c.keyId ?? '', String(c.dpop), c.secret].join('\u0000');
  return createHash('sha256').update(text).digest('base64url').slice(0, 16);
}

/** AAD for a tenant's stored credential: a ciphertext cannot be moved to another tenant. */
export function credentialContext(tenantId: TenantId): string {
  return `okta-sync:credential:${tenantId}`;
}

/** Decrypts a tenant's credential and re-checks its domain against the current policy. */
export function credentialsOf(tenant: TenantRecord, keyring: Keyring, policy: DomainPolicy): OktaCredentials {
  const { origin } = parseOktaDomain(tenant.oktaDomain, policy);
  const creds: OktaCredentials = {
    tenantId: tenant.tenantId,
    origin,
    clientId: tenant.auth.clientId,
    method: tenant.auth.method,
    secret: keyring.decrypt(tenant.auth.credential, credentialContext(tenant.tenantId)),
    ...(tenant.auth.keyId === undefined ? {} : { keyId: tenant.auth.keyId }),
    dpop: tenant.auth.dpop,
    grantedScopes: tenant.scopes,
  };
  return { ...creds, version: credentialVersion(creds) };
}
