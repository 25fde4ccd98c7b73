import { createHash, randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { DpopKey } from './dpop-key.js';

/**
 * A DPoP proof (RFC 9449 §4): header `typ: dpop+jwt`, `alg: ES256`, the public `jwk`; claims
 * `htm`, `htu` (no query, no fragment), `iat`, a unique `jti`, plus `nonce` when the server asked
 * for one and `ath` (the access token's hash) on resource requests. Fresh for every request.
 */
export async function dpopProof(
  key: DpopKey,
  htm: string,
  url: string,
  extra: { nonce?: string; accessToken?: string } = {},
): Promise<string> {
  const claims: Record<string, string> = { htm, htu: htuOf(url) };
  if (extra.nonce !== undefined) claims.nonce = extra.nonce;
  if (extra.accessToken !== undefined) claims.ath = accessTokenHash(extra.accessToken);
  return new SignJWT(claims)
    .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.publicJwk as Record<string, string> })
    .setIssuedAt()
    .setJti(randomUUID())
    .sign(key.privateKey);
}

/** `htu`: the request URL without query and fragment. */
export function htuOf(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
}

/** `ath`: base64url(SHA-256(access token)). */
export function accessTokenHash(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
