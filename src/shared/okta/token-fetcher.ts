import type { TenantId } from '../ids.js';
import { generateDpopKey } from './dpop-key.js';
import { dpopProof } from './dpop-proof.js';
import type { OktaCredentials } from './okta-credentials.js';
import type { OktaHttp } from './okta-http.js';
import { type AccessToken, requestToken } from './token-request.js';
import type { SharedTokenCache } from './token-shared-cache.js';

/** Okta rotates a DPoP nonce daily and honours the old one for three days: keep ours a day. */
const NONCE_KEEP_MS = 24 * 3600 * 1000;

/** Asks the token endpoint for one token; knows client authentication and DPoP, not caching. */
export type TokenFetcher = (creds: OktaCredentials, scopes: readonly string[]) => Promise<AccessToken>;

/**
 * Token requests with DPoP handled: a fresh ES256 key per token (the token is bound to it), and
 * the tenant's nonce kept in process and in Redis, so the `use_dpop_nonce` round is paid about
 * once per tenant per day across the cluster rather than on every fetch.
 */
export function createTokenFetcher(http: OktaHttp, shared?: SharedTokenCache): TokenFetcher {
  const nonces = new Map<TenantId, string>();
  const rememberNonce = (tenantId: TenantId, nonce: string) => {
    if (nonces.get(tenantId) === nonce) return;
    nonces.set(tenantId, nonce);
    shared?.writeNonce(tenantId, nonce, NONCE_KEEP_MS).catch(() => undefined);
  };
  return async (creds, scopes) => {
    if (!creds.dpop) return requestToken(http, creds, scopes);
    let nonce = nonces.get(creds.tenantId);
    if (nonce === undefined && shared) nonce = await shared.readNonce(creds.tenantId).catch(() => undefined);
    return requestToken(http, creds, scopes, {
      key: generateDpopKey(),
      nonce,
      onNonce: (n) => rememberNonce(creds.tenantId, n),
      proof: (key, htm, htu, extra) => dpopProof(key, htm, htu, extra),
    });
  };
}
