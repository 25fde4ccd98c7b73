import { decodeJwt, decodeProtectedHeader, errors, jwtVerify } from 'jose';
import type { RegisteredClient } from './clients.js';

/** Outcome of checking a private_key_jwt client assertion; `reason` never echoes the assertion. */
export type AssertionResult = { ok: true; client: RegisteredClient } | { ok: false; reason: string };

const MAX_LIFETIME_MS = 3_600_000;
// Allows for a client that rounds `exp` up to the next second.
const EXP_SLACK_MS = 5_000;

/**
 * Verifies client assertions (RFC 7523) the way Okta's org authorization server describes:
 * signature against the registered public key, `kid`, `iss = sub = client_id`,
 * `aud = <org>/oauth2/v1/token`, `exp` at most one hour ahead, and a `jti` never seen before.
 */
export class AssertionVerifier {
  private readonly seen = new Map<string, number>();

  constructor(private readonly audience: string) {}

  async verify(assertion: string, clients: ReadonlyMap<string, RegisteredClient>, formClientId: string | null, nowMs: number): Promise<AssertionResult> {
    let iss: unknown;
    let kid: string | undefined;
    try {
      iss = decodeJwt(assertion).iss;
      kid = decodeProtectedHeader(assertion).kid;
    } catch {
      return { ok: false, reason: 'The client_assertion is not a valid JWT.' };
    }
    const client = typeof iss === 'string' ? clients.get(iss) : undefined;
    if (client?.method !== 'private_key_jwt' || !client.publicKey) return { ok: false, reason: 'The client_assertion issuer is not a registered private_key_jwt client.' };
    if (formClientId !== null && formClientId !== client.clientId) return { ok: false, reason: 'client_id does not match the client_assertion issuer.' };
    if (kid !== client.keyId) return { ok: false, reason: 'The client_assertion kid does not match a registered key.' };
    try {
      const { payload } = await jwtVerify(assertion, client.publicKey, {
        algorithms: client.algorithms ?? [],
        audience: this.audience,
        issuer: client.clientId,
        subject: client.clientId,
        currentDate: new Date(nowMs),
        requiredClaims: ['exp', 'jti'],
      });
      return this.checkLifetimeAndReplay(client, payload.exp ?? 0, payload.jti ?? '', nowMs);
    } catch (error) {
      return { ok: false, reason: describe(error) };
    }
  }

  private checkLifetimeAndReplay(client: RegisteredClient, exp: number, jti: string, nowMs: number): AssertionResult {
    if (exp * 1000 > nowMs + MAX_LIFETIME_MS + EXP_SLACK_MS) return { ok: false, reason: 'The client_assertion exp is more than one hour in the future.' };
    this.prune(nowMs);
    const key = `${client.clientId}:${jti}`;
    if (this.seen.has(key)) return { ok: false, reason: 'The client_assertion jti has already been used.' };
    this.seen.set(key, exp * 1000);
    return { ok: true, client };
  }

  private prune(nowMs: number): void {
    for (const [key, expMs] of this.seen) if (expMs < nowMs) this.seen.delete(key);
  }
}

function describe(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'The client_assertion has expired.';
  if (error instanceof errors.JWTClaimValidationFailed) return `The client_assertion claim "${error.claim}" is invalid.`;
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'The client_assertion signature is invalid.';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'The client_assertion alg is not allowed for this key.';
  return 'The client_assertion is invalid.';
}
