import type { IncomingHttpHeaders } from 'node:http';
import { grants } from './clients.js';
import type { DpopVerifier } from './dpop.js';
import { type Reply, emptyReply, oktaError } from './reply.js';
import type { IssuedToken, TokenStore } from './token-store.js';

/** What API authentication needs from its org. */
export interface ApiAuthDeps {
  baseUrl: string;
  tokens: TokenStore;
  /** The resource server's DPoP verifier (its nonces are not the token endpoint's). */
  dpop: DpopVerifier;
  /** DPoP-bound calls must carry the resource server's nonce (`dpopApiNonce`). */
  requireNonce: boolean;
  /** True when this DPoP-bound call's proof is to be refused although valid (`dpopRefuse` fault). */
  refuseProof(): boolean;
  /** A token this org never issued was presented (for example another tenant's). */
  onForeignToken(): void;
}

export type ApiAuthOutcome = { ok: true; token: IssuedToken } | { ok: false; reply: Reply };

function challenge(baseUrl: string, pathname: string, scope: string, error: string, description: string, scheme = 'Bearer'): string {
  return `${scheme} authorization_uri="${baseUrl}/oauth2/v1/authorize", realm="${baseUrl}", scope="${scope}", error="${error}", error_description="${description}", resource="${pathname}"`;
}

function invalidToken(deps: ApiAuthDeps, pathname: string, scope: string, description: string, scheme = 'Bearer'): ApiAuthOutcome {
  const header = challenge(deps.baseUrl, pathname, scope, 'invalid_token', description, scheme);
  return { ok: false, reply: oktaError(401, 'E0000011', undefined, { 'www-authenticate': header }) };
}

/**
 * Authenticates a management API call: `Authorization: Bearer <token>`, or `DPoP <token>` plus a
 * `DPoP` proof bound to the token's key with `ath`. Expired, revoked and unknown tokens are all
 * `401 E0000011` with `error="invalid_token"`, as Okta answers them. A bad or stale proof is `400`
 * with `WWW-Authenticate: DPoP … error="invalid_dpop_proof"` and no body; a missing resource-server
 * nonce is `401` `error="use_dpop_nonce"` with a `DPoP-Nonce` header (OKTA-FACTS "DPoP on API calls").
 */
export async function authenticateApi(deps: ApiAuthDeps, headers: IncomingHttpHeaders, method: string, pathname: string, scope: string, nowMs: number): Promise<ApiAuthOutcome> {
  const authorization = headers.authorization ?? '';
  const space = authorization.indexOf(' ');
  const scheme = space > 0 ? authorization.slice(0, space) : '';
  const value = authorization.slice(space + 1).trim();
  if (scheme !== 'Bearer' && scheme !== 'DPoP') return invalidToken(deps, pathname, scope, 'The access token is missing.');
  const token = deps.tokens.get(value);
  if (!token) {
    deps.onForeignToken();
    return invalidToken(deps, pathname, scope, 'The access token is invalid.');
  }
  if (token.revoked) return invalidToken(deps, pathname, scope, 'The access token has been revoked.');
  if (token.expiresAtMs <= nowMs) return invalidToken(deps, pathname, scope, 'The token has expired.');
  if (!token.jkt) {
    return scheme === 'Bearer' ? { ok: true, token } : invalidToken(deps, pathname, scope, 'The access token is not DPoP-bound.');
  }
  if (scheme !== 'DPoP') return invalidToken(deps, pathname, scope, 'The access token is DPoP-bound; use the DPoP scheme.', 'DPoP');
  const proof = headers.dpop;
  const result = typeof proof === 'string'
    ? await deps.dpop.verify(proof, { htm: method, htu: `${deps.baseUrl}${pathname}`, accessToken: value, requireNonce: deps.requireNonce }, nowMs)
    : ({ ok: false, error: 'invalid_dpop_proof', reason: 'The DPoP proof JWT header is missing.' } as const);
  if (!result.ok && result.error === 'use_dpop_nonce') {
    const header = `DPoP algs="RS256 ES256", error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof."`;
    return { ok: false, reply: emptyReply(401, { 'www-authenticate': header, 'dpop-nonce': deps.dpop.currentNonce(nowMs) }) };
  }
  if (!result.ok || deps.refuseProof()) {
    const reason = result.ok ? 'The DPoP proof is stale.' : result.reason;
    const header = `DPoP algs="RS256 ES256", error="invalid_dpop_proof", error_description="${reason}"`;
    return { ok: false, reply: emptyReply(400, { 'www-authenticate': header }) };
  }
  if (result.jkt !== token.jkt) return invalidToken(deps, pathname, scope, 'The DPoP proof key does not match the token binding.', 'DPoP');
  return { ok: true, token };
}

/**
 * `403 E0000006` with `error="insufficient_scope"` when the token lacks the route's scope. Okta
 * sometimes sends no body at all; every other refusal here does the same, so clients must cope.
 */
export function checkScope(baseUrl: string, pathname: string, token: IssuedToken, scope: string, emptyBody: () => boolean): Reply | undefined {
  if (grants(token.scopes, scope)) return undefined;
  const header = challenge(baseUrl, pathname, scope, 'insufficient_scope', 'The access token provided does not contain the required scopes.');
  return emptyBody() ? emptyReply(403, { 'www-authenticate': header }) : oktaError(403, 'E0000006', undefined, { 'www-authenticate': header });
}
