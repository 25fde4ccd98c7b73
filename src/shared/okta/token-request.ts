import type { OktaCredentials } from './okta-credentials.js';
import type { OktaHttp, OktaResponse } from './okta-http.js';
import { OktaError } from './okta-errors.js';
import { readRateLimit } from './rate-limit-headers.js';
import { clientAssertion } from './client-assertion.js';
import type { DpopKey } from './dpop-key.js';

/** An access token as the token endpoint issued it. Opaque: never parsed, never logged. */
export interface AccessToken {
  value: string;
  type: 'Bearer' | 'DPoP';
  /** Local-clock epoch ms at which Okta stops accepting it. */
  expiresAt: number;
  /** Its lifetime as issued (`expires_in`), in ms: refresh-ahead and skew are shares of it. */
  lifetimeMs: number;
  /** The scope set it was issued for (sorted, space separated). */
  scope: string;
  /** DPoP tokens only: the key the token is bound to (`cnf.jkt`); every API call signs a proof with it. */
  dpopKey?: DpopKey;
}

/** What a token request needs for DPoP: a proof signer and the tenant's last known nonce. */
export interface DpopRequestOptions {
  key: DpopKey;
  /** The nonce the org last sent for this tenant, if any (saves the `use_dpop_nonce` round). */
  nonce: string | undefined;
  /** Called with every nonce the org sends, to keep per tenant. */
  onNonce(nonce: string): void;
  /** Signs the token request's proof (`htm` POST, `htu` the token URL, `nonce`). */
  proof(key: DpopKey, htm: string, htu: string, extra: { nonce?: string }): Promise<string>;
}

/** Sorted, de-duplicated, space separated: the cache key and the `scope` parameter. */
export function scopeKey(scopes: readonly string[]): string {
  return [...new Set(scopes)].sort().join(' ');
}

/**
 * One client-credentials grant at the org authorization server (`/oauth2/v1/token`), with
 * client_secret_basic or private_key_jwt, and DPoP when asked: a `400 use_dpop_nonce` is answered
 * once with the nonce the org sent (a fresh assertion and proof each time: both are single-use).
 * Maps OAuth errors to typed errors whose messages hold neither secrets nor tokens.
 */
export async function requestToken(
  http: OktaHttp,
  creds: OktaCredentials,
  scopes: readonly string[],
  dpop?: DpopRequestOptions,
): Promise<AccessToken> {
  const scope = scopeKey(scopes);
  let nonce = dpop?.nonce;
  for (let attempt = 0; ; attempt++) {
    const sentAt = Date.now();
    const res = await postOnce(http, creds, scope, dpop, nonce);
    const body = parseJson(res.body);
    const sentNonce = headerValue(res.headers['dpop-nonce']);
    if (dpop && sentNonce) dpop.onNonce(sentNonce);
    if (res.status === 200 && typeof body.access_token === 'string' && body.access_token !== '') {
      const ttl = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 3600;
      const type = body.token_type === 'DPoP' ? 'DPoP' : 'Bearer';
      return {
        value: body.access_token,
        type,
        // Measured from when we sent the request, so network time only makes us refresh earlier.
        expiresAt: sentAt + ttl * 1000,
        lifetimeMs: ttl * 1000,
        scope,
        ...(type === 'DPoP' && dpop ? { dpopKey: dpop.key } : {}),
      };
    }
    const retryWithNonce = dpop && body.error === 'use_dpop_nonce' && sentNonce && sentNonce !== nonce && attempt === 0;
    if (!retryWithNonce) throw tokenError(res.status, body, res.headers, scope);
    nonce = sentNonce;
  }
}

async function postOnce(
  http: OktaHttp,
  creds: OktaCredentials,
  scope: string,
  dpop: DpopRequestOptions | undefined,
  nonce: string | undefined,
): Promise<OktaResponse> {
  const url = `${creds.origin}/oauth2/v1/token`;
  const form = new URLSearchParams({ grant_type: 'client_credentials', scope });
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (creds.method === 'client_secret') {
    const basic = `${encodeURIComponent(creds.clientId)}:${encodeURIComponent(creds.secret)}`;
    headers.authorization = `Basic ${Buffer.from(basic).toString('base64')}`;
  } else {
    form.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    form.set('client_assertion', await clientAssertion(creds, url));
  }
  if (dpop) headers.dpop = await dpop.proof(dpop.key, 'POST', url, nonce === undefined ? {} : { nonce });
  return http.request({ method: 'POST', url, headers, body: form.toString() });
}

function tokenError(
  status: number,
  body: Record<string, unknown>,
  headers: Record<string, string | string[] | undefined>,
  scope: string,
): OktaError {
  const oauth = typeof body.error === 'string' ? body.error : undefined;
  const ctx = { status, path: '/oauth2/v1/token', ...(oauth ? { oktaCode: oauth } : {}) };
  if (oauth === 'invalid_client') {
    return new OktaError('okta_invalid_client', 'the token endpoint rejected the client credentials', ctx);
  }
  if (oauth === 'invalid_scope') {
    return new OktaError('okta_invalid_scope', `the org did not grant the scopes ${scope}`, { ...ctx, scopes: scope.split(' ') });
  }
  if (status === 429) {
    const rl = readRateLimit(headers);
    return new OktaError('okta_rate_limited', 'token endpoint rate limit reached', {
      ...ctx,
      ...(rl ? { retryAt: rl.resetAtMs } : {}),
    });
  }
  if (status >= 500) return new OktaError('okta_server_error', `token endpoint answered ${status}${oauth ? ` ${oauth}` : ''}`, ctx);
  return new OktaError('okta_token_request_failed', `token endpoint answered ${status}${oauth ? ` ${oauth}` : ''}`, ctx);
}

function headerValue(value: string | string[] | undefined): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return v === undefined || v === '' ? undefined : v;
}

function parseJson(text: string): Record<string, unknown> {
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
