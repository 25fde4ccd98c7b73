import type { OktaCredentials } from './okta-credentials.js';
import type { OktaHttp } from './okta-http.js';
import { type AccessToken, requestToken, scopeKey } from './token-request.js';

/** What the Okta client needs from a token source. */
export interface TokenProvider {
  /** A token valid for at least the refresh margin; `fetched` tells whether this call hit the token endpoint. */
  get(creds: OktaCredentials, scopes: readonly string[]): Promise<{ token: AccessToken; fetched: boolean }>;
  /** Drops exactly `token` (if it is still the cached one) after Okta rejected it. */
  invalidate(creds: OktaCredentials, token: AccessToken): Promise<void>;
  /** Headers that present `token` on one API request (`Authorization`, plus a fresh `DPoP` proof for DPoP tokens). */
  headersFor(creds: OktaCredentials, token: AccessToken, method: string, url: string): Promise<Record<string, string>>;
}

export interface TokenServiceOptions {
  /** Refresh when less than this remains, default 60000 ms. */
  refreshMarginMs?: number;
}

/**
 * In-process token cache with single flight: concurrent callers for one (tenant, scope set) share
 * one request. (The cluster-wide Redis layer wraps this; see issue 4.)
 */
export function createTokenService(http: OktaHttp, options: TokenServiceOptions = {}): TokenProvider {
  const margin = options.refreshMarginMs ?? 60_000;
  const cache = new Map<string, AccessToken>();
  const inFlight = new Map<string, Promise<AccessToken>>();
  const keyOf = (creds: OktaCredentials, scope: string) => `${creds.tenantId}\u0000${scope}`;
  return {
    async get(creds, scopes) {
      const key = keyOf(creds, scopeKey(scopes));
      const cached = cache.get(key);
      if (cached && cached.expiresAt - margin > Date.now()) return { token: cached, fetched: false };
      let pending = inFlight.get(key);
      if (pending) return { token: await pending, fetched: false };
      pending = requestToken(http, creds, scopes).finally(() => inFlight.delete(key));
      inFlight.set(key, pending);
      const token = await pending;
      cache.set(key, token);
      return { token, fetched: true };
    },
    async invalidate(creds, token) {
      const key = keyOf(creds, token.scope);
      if (cache.get(key)?.value === token.value) cache.delete(key);
    },
    async headersFor(_creds, token) {
      return { authorization: `${token.type} ${token.value}` };
    },
  };
}
