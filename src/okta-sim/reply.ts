import { randomBytes } from 'node:crypto';

export type HeaderMap = Record<string, string | string[]>;

/** What a route answers; the org's pipeline adds rate-limit headers and applies faults. */
export interface Reply {
  status: number;
  headers: HeaderMap;
  body: Buffer | string;
  /** Effective page size, so the `bigPage500` fault can refuse big pages. */
  pageLimit?: number;
}

const JSON_TYPE = 'application/json';

export function jsonReply(status: number, value: unknown, headers: HeaderMap = {}): Reply {
  return { status, headers: { 'content-type': JSON_TYPE, ...headers }, body: JSON.stringify(value) };
}

/** A pre-serialized JSON body (cached pages). */
export function rawJsonReply(status: number, body: Buffer | string, headers: HeaderMap = {}): Reply {
  return { status, headers: { 'content-type': JSON_TYPE, ...headers }, body };
}

export function emptyReply(status: number, headers: HeaderMap = {}): Reply {
  return { status, headers, body: '' };
}

/** Management API error codes the simulator answers with, and their Okta summaries. */
export const OKTA_ERRORS = {
  E0000001: 'Api validation failed',
  E0000006: 'You do not have permission to perform the requested action',
  E0000007: 'Not found',
  E0000009: 'Internal Server Error',
  E0000010: 'Service is in read only mode',
  E0000011: 'Invalid token provided',
  E0000022: 'The endpoint does not support the provided HTTP method',
  E0000031: 'Invalid search criteria.',
  E0000047: 'API call exceeded rate limit due to too many requests.',
} as const;
export type OktaErrorCode = keyof typeof OKTA_ERRORS;

export function errorId(): string {
  return `oae${randomBytes(16).toString('base64url').slice(0, 22)}`;
}

/** Okta's management API error body `{errorCode, errorSummary, errorLink, errorId, errorCauses}`. */
export function oktaError(status: number, code: OktaErrorCode, detail?: string, headers: HeaderMap = {}): Reply {
  const summary = detail ? `${OKTA_ERRORS[code]}: ${detail}` : OKTA_ERRORS[code];
  const causes = code === 'E0000001' && detail ? [{ errorSummary: detail }] : [];
  const body = { errorCode: code, errorSummary: summary, errorLink: code, errorId: errorId(), errorCauses: causes };
  return jsonReply(status, body, headers);
}

/** OAuth 2.0 error body `{error, error_description}` from the token endpoint. */
export function oauthError(status: number, error: string, description: string, headers: HeaderMap = {}): Reply {
  return jsonReply(status, { error, error_description: description }, { 'cache-control': 'no-store', ...headers });
}
