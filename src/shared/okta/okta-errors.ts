import { OktaSyncError } from '../errors.js';

/**
 * Typed errors for everything Okta can answer, with stable codes. `okta-error-from-response.ts`
 * is the one place that maps status, body and `WWW-Authenticate` to these; `job-outcome.ts` is the
 * one place that turns them into queue behaviour.
 */
export const OKTA_ERROR_CODES = [
  'okta_rate_limited', // 429 E0000047 with a reset, or our own budget spent: wait for the window
  'okta_concurrency_limited', // 429 with limit 0 / remaining 0, or our in-flight cap full: retry soon with jitter
  'okta_invalid_token', // 401 invalid_token / E0000011 (also a rejected DPoP proof): refresh the token once
  'okta_invalid_client', // token endpoint 401 invalid_client: credentials are wrong
  'okta_invalid_scope', // token endpoint 400 invalid_scope
  'okta_token_request_failed', // other 4xx from the token endpoint
  'okta_insufficient_scope', // 403: the integration lacks a scope or admin role
  'okta_not_found', // 404 E0000007
  'okta_bad_request', // other 4xx
  'okta_server_error', // 5xx, 408
  'okta_page_too_large', // 500 on a large page: retry with a smaller limit
  'okta_response_too_large', // body over the size cap: retry with a smaller limit
  'okta_network', // reset, timeout, DNS
  'okta_bad_response', // unparsable or undecodable body
  'okta_redirect', // a 3xx: never followed (a token must not travel to another URL)
  'okta_pagination_loop', // the same `next` cursor twice
  'okta_invalid_dpop_proof', // 400 DPoP error="invalid_dpop_proof" on an API call, again after a fresh proof: retry later
  'okta_use_dpop_nonce', // 401 DPoP error="use_dpop_nonce" again after retrying with the nonce sent: retry later
] as const;
export type OktaErrorCode = (typeof OKTA_ERROR_CODES)[number];

export interface OktaErrorContext {
  status?: number;
  /** Okta `errorCode` (E0000047…) or OAuth `error` (invalid_client…). */
  oktaCode?: string;
  /** Okta `errorId`, for support tickets. */
  errorId?: string;
  /** Path of the request (never the query, which may hold cursors; never headers). */
  path?: string;
  /** When to try again (epoch ms, local clock): the window reset, or a short jittered wait. */
  retryAt?: number;
  /** Set when our own budget refused the request (no request was sent): which limit said no. */
  throttle?: 'window' | 'probe' | 'in_flight';
  /** Scopes missing, for insufficient_scope / invalid_scope. */
  scopes?: readonly string[];
}

export class OktaError extends OktaSyncError {
  declare readonly code: OktaErrorCode;
  readonly context: OktaErrorContext;
  constructor(code: OktaErrorCode, message: string, context: OktaErrorContext = {}, options?: { cause?: unknown }) {
    super(code, message, options);
    this.context = context;
  }
}

export function isOktaError(value: unknown, code?: OktaErrorCode): value is OktaError {
  return value instanceof OktaError && (code === undefined || value.code === code);
}

/** Failures that another attempt may cure (the queue retries them with backoff, nobody else does). */
export function isTransient(error: OktaError): boolean {
  return (
    error.code === 'okta_server_error' ||
    error.code === 'okta_network' ||
    error.code === 'okta_bad_response' ||
    error.code === 'okta_page_too_large' ||
    error.code === 'okta_response_too_large' ||
    error.code === 'okta_invalid_dpop_proof' ||
    error.code === 'okta_use_dpop_nonce'
  );
}

/** Transient failures that a smaller page may cure. */
export function wantsSmallerPage(error: OktaError): boolean {
  return error.code === 'okta_page_too_large' || error.code === 'okta_response_too_large';
}
