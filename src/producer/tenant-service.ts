import { createPrivateKey } from 'node:crypto';
import type { Keyring } from '../shared/crypto.js';
import { ValidationError } from '../shared/errors.js';
import type { TenantId } from '../shared/ids.js';
import { credentialContext } from '../shared/okta/okta-credentials.js';
import { type DomainPolicy, parseOktaDomain } from '../shared/okta/okta-domain.js';
import { RESOURCE_SCOPE } from '../shared/resources.js';
import type { SyncStore, TenantRecord } from '../shared/store/sync-store.js';
import { checkOrgBinding, writeOrgBinding } from './org-binding.js';

/** The scopes an integration registered for full read sync asks for, by default. */
export const DEFAULT_SCOPES: readonly string[] = [...new Set(Object.values(RESOURCE_SCOPE))].sort();

const SCOPE_PATTERN = /^okta\.[a-zA-Z]+\.(read|manage)$/;

/** What an upstream system sends to register (or update) a tenant. Secrets arrive here only. */
export interface TenantInput {
  tenantId: TenantId;
  oktaDomain: string;
  clientId: string;
  clientSecret?: string;
  privateKeyPem?: string;
  keyId?: string;
  scopes?: readonly string[];
  dpop?: boolean;
  rateShare?: number;
}

/** The tenant as shown to callers: everything except the credential. */
export type PublicTenant = Omit<TenantRecord, 'auth'> & { auth: Omit<TenantRecord['auth'], 'credential'> };

export function publicTenant(t: TenantRecord): PublicTenant {
  const { credential: _credential, ...auth } = t.auth;
  return { ...t, auth };
}

/**
 * A private_key_jwt key must be a PKCS#8 PEM RSA or EC key (what the client assertion signs with):
 * refused at onboarding rather than at the first token request. The message never quotes the key.
 */
function checkPrivateKey(pem: string): void {
  const fail = (why: string): never => {
    throw new ValidationError(`privateKeyPem ${why}`, { privateKeyPem: why });
  };
  if (!pem.includes('-----BEGIN PRIVATE KEY-----')) fail('must be a PKCS#8 PEM (-----BEGIN PRIVATE KEY-----)');
  let type: string | undefined;
  try {
    type = createPrivateKey({ key: pem, format: 'pem' }).asymmetricKeyType;
  } catch {
    fail('is not a readable PEM private key');
  }
  if (type !== 'rsa' && type !== 'ec') fail('must be an RSA or EC key');
}

/** Validates, encrypts and stores a tenant. Returns the public view and whether it was created. */
export async function putTenant(
  deps: { store: SyncStore; keyring: Keyring; domainPolicy: DomainPolicy },
  input: TenantInput,
): Promise<{ tenant: PublicTenant; created: boolean }> {
  const { domain } = parseOktaDomain(input.oktaDomain, deps.domainPolicy);
  if (!/^[A-Za-z0-9_-]{1,100}$/.test(input.clientId)) {
    throw new ValidationError('clientId is malformed', { clientId: 'letters, digits, "_" or "-" (1-100)' });
  }
  const hasSecret = typeof input.clientSecret === 'string' && input.clientSecret.length > 0;
  const hasKey = typeof input.privateKeyPem === 'string' && input.privateKeyPem.length > 0;
  if (hasSecret === hasKey) {
    throw new ValidationError('give exactly one of clientSecret or privateKeyPem', {
      clientSecret: 'exactly one of clientSecret or privateKeyPem is required',
    });
  }
  if (hasKey && !input.keyId) throw new ValidationError('keyId is required with privateKeyPem', { keyId: 'required' });
  if (hasKey) checkPrivateKey(input.privateKeyPem as string);
  const scopes = [...new Set(input.scopes ?? DEFAULT_SCOPES)].sort();
  const badScope = scopes.find((s) => !SCOPE_PATTERN.test(s));
  if (badScope !== undefined || scopes.length === 0) {
    throw new ValidationError('scopes must be okta.<resource>.<read|manage>', { scopes: `invalid scope ${badScope ?? '(none)'}` });
  }
  const now = new Date().toISOString();
  const existing = await deps.store.getTenant(input.tenantId);
  const record: TenantRecord = {
    tenantId: input.tenantId,
    oktaDomain: domain,
    auth: {
      method: hasKey ? 'private_key_jwt' : 'client_secret',
      clientId: input.clientId,
      credential: deps.keyring.encrypt((hasKey ? input.privateKeyPem : input.clientSecret) as string, credentialContext(input.tenantId)),
      ...(hasKey && input.keyId ? { keyId: input.keyId } : {}),
      dpop: input.dpop ?? false,
    },
    scopes,
    ...(input.rateShare === undefined ? {} : { rateShare: input.rateShare }),
    // New credentials give a tenant marked credentials_invalid another chance.
    status: existing?.status === 'disabled' ? 'disabled' : 'active',
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
  };
  await checkOrgBinding(deps.store, existing, record);
  const { created } = await deps.store.putTenant(record);
  await writeOrgBinding(deps.store, record);
  return { tenant: publicTenant(record), created };
}
