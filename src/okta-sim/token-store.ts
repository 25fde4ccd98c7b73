import { randomBytes } from 'node:crypto';

export interface IssuedToken {
  clientId: string;
  scopes: ReadonlySet<string>;
  expiresAtMs: number;
  /** JWK thumbprint of the DPoP key the token is bound to. */
  jkt: string | undefined;
  revoked: boolean;
}

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Access tokens this org issued. They look like JWTs (as Okta's do) but are only looked up, never parsed. */
export class TokenStore {
  private readonly tokens = new Map<string, IssuedToken>();

  constructor(private readonly issuer: string, private ttlSeconds: number) {}

  get lifetimeSeconds(): number {
    return this.ttlSeconds;
  }

  issue(clientId: string, scopes: string[], nowMs: number, jkt: string | undefined): string {
    this.prune(nowMs);
    const iat = Math.floor(nowMs / 1000);
    const claims = { ver: 1, jti: `AT.${randomBytes(24).toString('base64url')}`, iss: this.issuer, aud: this.issuer, iat, exp: iat + this.ttlSeconds, cid: clientId, scp: scopes, sub: clientId };
    const token = `${b64({ kid: 'okta-sim', alg: 'RS256' })}.${b64(claims)}.${randomBytes(64).toString('base64url')}`;
    this.tokens.set(token, { clientId, scopes: new Set(scopes), expiresAtMs: nowMs + this.ttlSeconds * 1000, jkt, revoked: false });
    return token;
  }

  get(token: string): IssuedToken | undefined {
    return this.tokens.get(token);
  }

  /** Revokes one token, or all when none is given; returns how many were revoked. */
  revoke(token?: string): number {
    if (token !== undefined) {
      const found = this.tokens.get(token);
      if (!found || found.revoked) return 0;
      found.revoked = true;
      return 1;
    }
    let count = 0;
    for (const found of this.tokens.values()) {
      if (!found.revoked) count++;
      found.revoked = true;
    }
    return count;
  }

  // Expired tokens are kept a while so they answer "expired", not "unknown" (which counts as foreign).
  private prune(nowMs: number): void {
    if (this.tokens.size < 10_000) return;
    for (const [token, found] of this.tokens) if (found.expiresAtMs < nowMs - 3_600_000) this.tokens.delete(token);
  }
}
