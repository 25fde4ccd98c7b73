import type { OktaResponse } from './okta-http.js';
import { OktaError } from './okta-errors.js';
import { readRateLimit } from './rate-limit-headers.js';

/** Okta management API error body; only `errorCode` is meant for flow control. */
interface OktaErrorBody {
  errorCode?: string;
  errorSummary?: string;
  errorId?: string;
}

/** Maps a non-2xx management API response to a typed error (never includes headers or tokens). */
export function errorFromApiResponse(res: OktaResponse, path: string, requestedLimit?: number): OktaError {
  const body = parseBody(res.body);
  const ctx = {
    status: res.status,
    path,
    ...(body.errorCode ? { oktaCode: body.errorCode } : {}),
    ...(body.errorId ? { errorId: body.errorId } : {}),
  };
  const summary = body.errorSummary ? `: ${body.errorSummary}` : '';
  const auth = String(res.headers['www-authenticate'] ?? '');
  if (res.status === 429) {
    const rl = readRateLimit(res.headers);
    if (rl && rl.limit === 0 && rl.remaining === 0) {
      return new OktaError('okta_concurrency_limited', `concurrency limit reached on ${path}`, ctx);
    }
    return new OktaError('okta_rate_limited', `rate limit reached on ${path}`, {
      ...ctx,
      ...(rl ? { retryAt: rl.resetAtMs } : {}),
    });
  }
  if (res.status === 401) {
    return new OktaError('okta_invalid_token', `access token rejected on ${path}${summary}`, ctx);
  }
  if (res.status === 403) {
    const insufficient = /insufficient_scope/i.test(auth);
    const scope = /scope="([^"]*)"/.exec(auth)?.[1];
    return new OktaError(
      'okta_insufficient_scope',
      insufficient
        ? `missing scope${scope ? ` ${scope}` : ''} for ${path}`
        : `no permission for ${path}${summary} (is an admin role assigned to the integration?)`,
      { ...ctx, ...(scope ? { scopes: scope.split(' ') } : {}) },
    );
  }
  if (res.status === 404) return new OktaError('okta_not_found', `${path} not found`, ctx);
  if (res.status === 500 && requestedLimit !== undefined && requestedLimit > 20) {
    return new OktaError('okta_page_too_large', `server error on a ${requestedLimit}-item page of ${path}`, ctx);
  }
  if (res.status >= 500) return new OktaError('okta_server_error', `Okta answered ${res.status} on ${path}${summary}`, ctx);
  return new OktaError('okta_bad_request', `Okta answered ${res.status} on ${path}${summary}`, ctx);
}

function parseBody(text: string): OktaErrorBody {
  if (!text) return {};
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null ? (value as OktaErrorBody) : {};
  } catch {
    return {};
  }
}
