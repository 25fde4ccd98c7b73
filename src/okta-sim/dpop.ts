import { createHash, randomBytes } from 'node:crypto';
import { calculateJwkThumbprint, EmbeddedJWK, jwtVerify } from 'jose';

export type DpopResult =
  | { ok: true; jkt: string }
  | { ok: false; error: 'invalid_dpop_proof' | 'use_dpop_nonce'; reason: string };

export interface ProofExpectations {
  htm: string;
  /** The request URL without query or fragment. */
  htu: string;
  /** For API calls: the access token whose hash the proof's `ath` must carry. */
  accessToken?: string;
  /** Token requests need a server nonce; API calls only when the org demands one (`dpopApiNonce`). */
  requireNonce: boolean;
}

const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'ES512', 'EdDSA'];
const IAT_WINDOW_S = 300;
const DAY_MS = 86_400_000;
const NONCE_ROTATE_MS = DAY_MS;
const NONCE_VALID_MS = 3 * DAY_MS;

const ath = (token: string): string => createHash('sha256').update(token).digest('base64url');

/**
 * DPoP proofs (RFC 9449) with Okta's nonce habits: a nonce rotates every 24 h and an old one
 * keeps working for 3 days.
 */
export class DpopVerifier {
  private nonces: { value: string; issuedAtMs: number }[] = [];
  private readonly seenJti = new Map<string, number>();

  constructor(nowMs: number) {
    this.rotate(nowMs);
  }

  rotate(nowMs: number): string {
    const value = randomBytes(24).toString('base64url');
    this.nonces.unshift({ value, issuedAtMs: nowMs });
    this.nonces = this.nonces.filter((n) => nowMs - n.issuedAtMs < NONCE_VALID_MS + NONCE_ROTATE_MS).slice(0, 8);
    return value;
  }

  currentNonce(nowMs: number): string {
    const newest = this.nonces[0];
    if (!newest || nowMs - newest.issuedAtMs >= NONCE_ROTATE_MS) return this.rotate(nowMs);
    return newest.value;
  }

  private nonceValid(nonce: unknown, nowMs: number): boolean {
    return this.nonces.some((n) => n.value === nonce && nowMs - n.issuedAtMs < NONCE_VALID_MS);
  }

  async verify(proof: string, expect: ProofExpectations, nowMs: number): Promise<DpopResult> {
    const invalid = (reason: string): DpopResult => ({ ok: false, error: 'invalid_dpop_proof', reason });
    let verified: Awaited<ReturnType<typeof jwtVerify>>;
    try {
      verified = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: ALGORITHMS, currentDate: new Date(nowMs) });
    } catch {
      return invalid('The DPoP proof is not a valid dpop+jwt signed with its embedded jwk.');
    }
    const { payload, protectedHeader } = verified;
    const jwk = protectedHeader.jwk;
    if (!jwk || 'd' in jwk) return invalid('The DPoP proof jwk must be a public key.');
    if (payload['htm'] !== expect.htm) return invalid('The DPoP proof htm does not match the request method.');
    if (payload['htu'] !== expect.htu) return invalid('The DPoP proof htu does not match the request URL.');
    if (typeof payload.iat !== 'number' || Math.abs(payload.iat - nowMs / 1000) > IAT_WINDOW_S) return invalid('The DPoP proof iat is missing or not recent.');
    if (typeof payload.jti !== 'string' || payload.jti === '') return invalid('The DPoP proof jti is missing.');
    if (expect.accessToken !== undefined && payload['ath'] !== ath(expect.accessToken)) return invalid("The DPoP proof ath does not match the access token's hash.");
    if (expect.requireNonce && !this.nonceValid(payload['nonce'], nowMs)) {
      return { ok: false, error: 'use_dpop_nonce', reason: 'The server requires a nonce in the DPoP proof.' };
    }
    this.prune(nowMs);
    if (this.seenJti.has(payload.jti)) return invalid('The DPoP proof jti has already been used.');
    this.seenJti.set(payload.jti, nowMs);
    return { ok: true, jkt: await calculateJwkThumbprint(jwk) };
  }

  private prune(nowMs: number): void {
    if (this.seenJti.size < 1000) return;
    for (const [jti, seenMs] of this.seenJti) if (nowMs - seenMs > 2 * IAT_WINDOW_S * 1000) this.seenJti.delete(jti);
  }
}
