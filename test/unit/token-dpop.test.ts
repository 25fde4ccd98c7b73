import { createHash } from 'node:crypto';
import { EmbeddedJWK, calculateJwkThumbprint, decodeProtectedHeader, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { exportDpopKey, generateDpopKey, importDpopKey } from '../../src/shared/okta/dpop-key.js';
import { accessTokenHash, dpopProof, htuOf } from '../../src/shared/okta/dpop-proof.js';

describe('DPoP proofs', () => {
  it('carry htm, htu without query, iat, a unique jti and ath, signed with the embedded public key', async () => {
    const key = generateDpopKey();
    const a = await dpopProof(key, 'GET', 'https://acme.okta.com/api/v1/users?limit=200&after=x#frag', { accessToken: 'tok' });
    const b = await dpopProof(key, 'GET', 'https://acme.okta.com/api/v1/users', { accessToken: 'tok' });
    const { payload, protectedHeader } = await jwtVerify(a, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: ['ES256'] });
    expect(protectedHeader.jwk).toEqual(key.publicJwk);
    expect(protectedHeader.jwk).not.toHaveProperty('d');
    expect(payload).toMatchObject({ htm: 'GET', htu: 'https://acme.okta.com/api/v1/users', ath: createHash('sha256').update('tok').digest('base64url') });
    expect(Math.abs((payload.iat ?? 0) - Date.now() / 1000)).toBeLessThan(5);
    const other = await jwtVerify(b, EmbeddedJWK, { typ: 'dpop+jwt' });
    expect(other.payload.jti).not.toBe(payload.jti);
    expect(payload).not.toHaveProperty('nonce');
  });

  it('carry the nonce on token requests', async () => {
    const proof = await dpopProof(generateDpopKey(), 'POST', 'https://acme.okta.com/oauth2/v1/token', { nonce: 'n-1' });
    const { payload } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt' });
    expect(payload).toMatchObject({ htm: 'POST', htu: 'https://acme.okta.com/oauth2/v1/token', nonce: 'n-1' });
    expect(payload).not.toHaveProperty('ath');
  });

  it('restores a stored key with the same thumbprint (a cached DPoP token stays usable on another worker)', async () => {
    const key = generateDpopKey();
    const restored = importDpopKey(JSON.parse(JSON.stringify(exportDpopKey(key))));
    expect(await calculateJwkThumbprint(restored.publicJwk as never)).toBe(await calculateJwkThumbprint(key.publicJwk as never));
    const proof = await dpopProof(restored, 'GET', 'https://a.okta.com/x');
    expect(decodeProtectedHeader(proof).jwk).toEqual(key.publicJwk);
    expect(JSON.stringify(key)).not.toContain(String(exportDpopKey(key).d));
  });

  it.each([
    ['https://a.okta.com/api/v1/users?limit=1', 'https://a.okta.com/api/v1/users'],
    ['http://127.0.0.1:8080/api/v1/groups/00g1/users#x', 'http://127.0.0.1:8080/api/v1/groups/00g1/users'],
  ])('htu of %s is %s', (url, htu) => {
    expect(htuOf(url)).toBe(htu);
    expect(accessTokenHash('abc')).toBe('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
  });
});
