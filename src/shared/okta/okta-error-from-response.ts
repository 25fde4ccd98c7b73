import { clipText } from '../clip-text.js';
import type { OktaResponse } from './okta-http.js';
import { OktaError, type OktaErrorContext } from './okta-errors.js';
import { readRateLimit } from './rate-limit-headers.js';

/** Okta management API error body; only `errorCode` is meant for flow control. */
interface OktaErrorBody {
  errorCode?: string;
  errorSummary?: string;
  errorId?: string;
}

/** A 500 on a page larger than this is read as a server-side timeout (OKTA-FACTS "Pagination"). */
export const LARGE_PAGE = 20;

/**
 * Maps a non-2xx management API response to a typed error. Messages carry the path, Okta's
 * summary and `WWW-Authenticate`'s `error`/`error_description`, never headers, queries or tokens.
 * `retryAt` is the window reset of a 429 when the caller read it with its server clock estimate;
 * otherwise it is read from the headers here.
 */
export function errorFromApiResponse(res: OktaResponse, path: string, requestedLimit?: number, retryAt?: number): OktaError {
  const body = parseBody(res.body);
  const ctx: OktaErrorContext = {
    status: res.status,
    path,
    ...(body.errorCode ? { oktaCode: body.errorCode } : {}),
    ...(body.errorId ? { errorId: body.errorId } : {}),
  };
  // An org may send megabytes of summary; a few hundred bytes say what went wrong.
  const summary = body.errorSummary ? `: ${clipText(body.errorSummary, 512)}` : '';
  const challenge = parseChallenge(res.headers['www-authenticate']);
  const status = res.status;
  if (status >= 300 && status < 400) {
    return new OktaError('okta_redirect', `Okta answered ${status} on ${path}; redirects are never followed`, ctx);
  }
  if (status === 429) {
    const rl = readRateLimit(res.headers);
    if (rl && rl.limit === 0 && rl.remaining === 0) {
      return new OktaError('okta_concurrency_limited', `concurrency limit reached on ${path}`, ctx);
    }
    const at = retryAt ?? rl?.resetAtMs;
    return new OktaError('okta_rate_limited', `rate limit reached on ${path}`, { ...ctx, ...(at === undefined ? {} : { retryAt: at }) });
  }
  // DPoP on API calls (OKTA-FACTS): a refused proof is a 400, a demanded nonce a 401; neither
  // means the token is bad, so neither may evict it.
  if (challenge.error === 'invalid_dpop_proof' && (status === 400 || status === 401)) {
    const why = challenge.error_description ? `: ${challenge.error_description}` : '';
    return new OktaError('okta_invalid_dpop_proof', `DPoP proof refused on ${path}${why}`, { ...ctx, oktaCode: ctx.oktaCode ?? 'invalid_dpop_proof' });
  }
  if (challenge.error === 'use_dpop_nonce' && (status === 400 || status === 401)) {
    return new OktaError('okta_use_dpop_nonce', `Okta demands a DPoP nonce on ${path}`, { ...ctx, oktaCode: ctx.oktaCode ?? 'use_dpop_nonce' });
  }
  if (status === 401) {
    const why = challenge.error_description ?? challenge.error ?? body.errorSummary;
    return new OktaError('okta_invalid_token', `access token rejected on ${path}${why ? `: ${why}` : ''}`, {
      ...ctx,
      ...(ctx.oktaCode || !challenge.error ? {} : { oktaCode: challenge.error }),
    });
  }
  if (status === 403) {
    const insufficient = challenge.error === 'insufficient_scope';
    const scope = challenge.scope;
    return new OktaError(
      'okta_insufficient_scope',
      insufficient
        ? `missing scope${scope ? ` ${scope}` : ''} for ${path}`
        : `no permission for ${path}${summary} (is an admin role assigned to the integration?)`,
      { ...ctx, ...(insufficient && !ctx.oktaCode ? { oktaCode: 'insufficient_scope' } : {}), ...(scope ? { scopes: scope.split(' ') } : {}) },
    );
  }
  if (status === 404) return new OktaError('okta_not_found', `${path} not found`, ctx);
  if (status === 500 && requestedLimit !== undefined && requestedLimit > LARGE_PAGE) {
    return new OktaError('okta_page_too_large', `server error on a ${requestedLimit}-item page of ${path}`, ctx);
  }
  if (status >= 500 || status === 408) {
    return new OktaError('okta_server_error', `Okta answered ${status} on ${path}${summary}`, ctx);
  }
  return new OktaError('okta_bad_request', `Okta answered ${status} on ${path}${summary}`, ctx);
}

/**
 * The parameters of a `WWW-Authenticate` challenge (`Bearer error="…", scope="…"` or `DPoP …`),
 * lower-cased names, plus `scheme`. Several challenges in one header are merged, first wins.
 */
export function parseChallenge(header: string | string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  const text = Array.isArray(header) ? header.join(', ') : (header ?? '');
  const scheme = /^\s*([A-Za-z][\w-]*)\s/.exec(text)?.[1];
  if (scheme) out.scheme = scheme;
  for (const m of text.matchAll(/([A-Za-z_][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g)) {
    const name = (m[1] ?? '').toLowerCase();
    if (name && out[name] === undefined) out[name] = (m[2] ?? m[3] ?? '').replace(/\\(.)/g, '$1');
  }
  return out;
}

function parseBody(text: string): OktaErrorBody {
  if (!text) return {};
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value !== 'object' || value === null) return {};
    const o = value as Record<string, unknown>;
    return {
      ...(typeof o.errorCode === 'string' ? { errorCode: o.errorCode } : {}),
      ...(typeof o.errorSummary === 'string' ? { errorSummary: o.errorSummary } : {}),
      ...(typeof o.errorId === 'string' ? { errorId: o.errorId } : {}),
    };
  } catch {
    return {};
  }
}
