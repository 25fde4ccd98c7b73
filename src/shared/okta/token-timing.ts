import type { OktaError } from './okta-errors.js';
import type { AccessToken } from './token-request.js';

/**
 * When a cached token stops being handed out, when one process refreshes it ahead of expiry, and
 * how long a failed token request's outcome is shared with the waiters. Data plus pure functions;
 * every share is of the token's own lifetime, so a 20 s test token and a 1 h Okta token behave alike.
 */
export interface TokenTiming {
  /** Stop handing out a token when less than this share of its lifetime remains. Default 0.05. */
  expirySkewRatio: number;
  /** …but keep at least this margin (clock skew, time to reach Okta). Default 1000 ms. */
  minExpirySkewMs: number;
  /** …and at most this one. Default 30000 ms. */
  maxExpirySkewMs: number;
  /**
   * One process refreshes when less than this share of the lifetime remains (6 min of a 1 h token).
   * Small, so a token serves ~90% of its life: about one request per lifetime. Default 0.1.
   */
  refreshAheadRatio: number;
  /** How long the outcome of a refused token request is shared (invalid_client, invalid_scope, other 4xx). Default 5000 ms. */
  refusalShareMs: number;
  /** How long a 5xx/network failure is shared, so waiters fail fast instead of repeating it. Default 2000 ms. */
  transientShareMs: number;
}

export const DEFAULT_TOKEN_TIMING: Readonly<TokenTiming> = {
  expirySkewRatio: 0.05,
  minExpirySkewMs: 1_000,
  maxExpirySkewMs: 30_000,
  refreshAheadRatio: 0.1,
  refusalShareMs: 5_000,
  transientShareMs: 2_000,
};

/** The margin before expiry at which a token is no longer handed out (never more than half its life). */
export function expirySkewMs(lifetimeMs: number, t: TokenTiming): number {
  const skew = Math.min(t.maxExpirySkewMs, Math.max(t.minExpirySkewMs, lifetimeMs * t.expirySkewRatio));
  return Math.min(skew, lifetimeMs / 2);
}

/** Epoch ms after which the token is not handed out any more. */
export function usableUntil(token: Pick<AccessToken, 'expiresAt' | 'lifetimeMs'>, t: TokenTiming): number {
  return token.expiresAt - expirySkewMs(token.lifetimeMs, t);
}

export function isUsable(token: Pick<AccessToken, 'expiresAt' | 'lifetimeMs'>, now: number, t: TokenTiming): boolean {
  return now < usableUntil(token, t);
}

/** True once the token is in its refresh-ahead window (always wider than the skew). */
export function refreshDue(token: Pick<AccessToken, 'expiresAt' | 'lifetimeMs'>, now: number, t: TokenTiming): boolean {
  const window = Math.max(token.lifetimeMs * t.refreshAheadRatio, 2 * expirySkewMs(token.lifetimeMs, t));
  return token.expiresAt - now < window;
}

/**
 * How long waiters should see a failed token request's error instead of repeating it, or
 * undefined when it is not worth sharing. A 429 is shared until its window resets.
 */
export function failureShareMs(error: OktaError, now: number, t: TokenTiming): number | undefined {
  switch (error.code) {
    case 'okta_rate_limited':
      return Math.max(t.transientShareMs, (error.context.retryAt ?? now) - now);
    case 'okta_invalid_client':
    case 'okta_invalid_scope':
    case 'okta_token_request_failed':
      return t.refusalShareMs;
    case 'okta_server_error':
    case 'okta_network':
    case 'okta_bad_response':
      return t.transientShareMs;
    default:
      return undefined;
  }
}
