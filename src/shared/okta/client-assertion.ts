import { createPrivateKey, randomUUID } from 'node:crypto';
import { SignJWT, importPKCS8 } from 'jose';
import { OktaError } from './okta-errors.js';
import type { OktaCredentials } from './okta-credentials.js';

/** Assertions live a few minutes: long enough for clock skew, far below Okta's one-hour cap. */
const ASSERTION_TTL_SECONDS = 300;

/**
 * A private_key_jwt client assertion: iss = sub = clientId, aud = the token URL, a unique jti,
 * `kid` in the header. RS256 for RSA keys, ES256 for P-256 keys.
 */
export async function clientAssertion(creds: OktaCredentials, tokenUrl: string): Promise<string> {
  const alg = isEcKey(creds.secret) ? 'ES256' : 'RS256';
  let key: Awaited<ReturnType<typeof importPKCS8>>;
  try {
    key = await importPKCS8(creds.secret, alg);
  } catch (cause) {
    throw new OktaError('okta_invalid_client', 'the stored private key cannot be used (PKCS#8 PEM expected)', {}, { cause });
  }
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg, ...(creds.keyId ? { kid: creds.keyId } : {}) })
    .setIssuer(creds.clientId)
    .setSubject(creds.clientId)
    .setAudience(tokenUrl)
    .setIssuedAt(now)
    .setExpirationTime(now + ASSERTION_TTL_SECONDS)
    .setJti(randomUUID())
    .sign(key);
}

function isEcKey(pem: string): boolean {
  try {
    return createPrivateKey(pem).asymmetricKeyType === 'ec';
  } catch {
    return false;
  }
}
