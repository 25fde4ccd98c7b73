import type { OktaCredentials } from './okta-credentials.js';
import type { OktaHttp } from './okta-http.js';
import { OktaError } from './okta-errors.js';
import { readRateLimit } from './rate-limit-headers.js';
import { clientAssertion } from './client-assertion.js';

/** An access token as the token endpoint issued it. Opaque: never parsed, never logged. */
export interface AccessToken {
  value: string;
  type: 'Bearer' | 'DPoP';
  /** Local-clock epoch ms at which Okta stops accepting it. */
  expiresAt: number;
  /** The scope set it was issued for (sorted, space separated). */
  scope: string;
}

/** Sorted, de-duplicated, space separated: the cache key and the `scope` parameter. */
export function scopeKey(scopes: readonly string[]): string {
  return [...new Set(scopes)].sort().join(' ');
}

/**
 * One client-credentials request to the org authorization server (`/oauth2/v1/token`), with
 * client_secret_basic or private_key_jwt. Maps OAuth errors to typed errors.
 */
export async function requestToken(
  http: OktaHttp,
  creds: OktaCredentials,
  scopes: readonly string[],
  extraHeaders: Record<string, string> = {},
): Promise<AccessToken> {
  const scope = scopeKey(scopes);
  const url = `${creds.origin}/oauth2/v1/token`;
  const form = new URLSearchParams({ grant_type: 'client_credentials', scope });
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', ...extraHeaders };
  if (creds.method === 'client_secret') {
    const basic = `${encodeURIComponent(creds.clientId)}:${encodeURIComponent(creds.secret)}`;
    headers.authorization = `Basic ${Buffer.from(basic).toString('base64')}`;
  } else {
    form.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    form.set('client_assertion', await clientAssertion(creds, url));
  }
  const sentAt = Date.now();
  const res = await http.request({ method: 'POST', url, headers, body: form.toString() });
  const body = parseJson(res.body);
  if (res.status === 200 && typeof body.access_token === 'string') {
    const ttl = typeof body.expires_in === 'number' ? body.expires_in : 3600;
    return {
      value: body.access_token,
      type: body.token_type === 'DPoP' ? 'DPoP' : 'Bearer',
      // Measured from when we sent the request, so network time only makes us refresh earlier.
      expiresAt: sentAt + ttl * 1000,
      scope,
    };
  }
  throw tokenError(res.status, body, res.headers, scope);
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
  if (status >= 500) return new OktaError('okta_server_error', `token endpoint answered ${status}`, ctx);
  return new OktaError('okta_token_request_failed', `token endpoint answered ${status}${oauth ? ` ${oauth}` : ''}`, ctx);
}

function parseJson(text: string): Record<string, unknown> {
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
