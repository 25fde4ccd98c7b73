import { type JsonWebKey, type KeyObject, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';

/**
 * A DPoP key pair (ES256, P-256). A DPoP token is bound to its key's thumbprint (`cnf.jkt`), so
 * the key travels with the token: in L1 as a `KeyObject`, in Redis as a private JWK inside the
 * token's encrypted value. One key per token fetch, never reused across tokens.
 */
export interface DpopKey {
  readonly privateKey: KeyObject;
  /** The public half as a JWK (`kty`, `crv`, `x`, `y`), embedded in every proof's header. */
  readonly publicJwk: JsonWebKey;
}

export function generateDpopKey(): DpopKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKey, publicJwk: publicJwkOf(publicKey) };
}

/** The private JWK, for the token's encrypted record in Redis only. */
export function exportDpopKey(key: DpopKey): JsonWebKey {
  return key.privateKey.export({ format: 'jwk' });
}

export function importDpopKey(jwk: JsonWebKey): DpopKey {
  const privateKey = createPrivateKey({ key: jwk, format: 'jwk' });
  if (privateKey.asymmetricKeyType !== 'ec') throw new TypeError('a DPoP key must be an EC key');
  return { privateKey, publicJwk: publicJwkOf(createPublicKey(privateKey)) };
}

function publicJwkOf(publicKey: KeyObject): JsonWebKey {
  const { kty, crv, x, y } = publicKey.export({ format: 'jwk' });
  if (kty === undefined || crv === undefined || x === undefined || y === undefined) throw new TypeError('not an EC public key');
  return { kty, crv, x, y };
}
