import { clipText } from '../shared/clip-text.js';
import { isOktaSyncError } from '../shared/errors.js';
import { type OktaError, isOktaError, isTransient, wantsSmallerPage } from '../shared/okta/okta-errors.js';

/**
 * What the queue should do with a job whose attempt threw. This is the one place that turns
 * errors into queue behaviour. Who retries what: the Okta client retries only a `401
 * invalid_token` (once, with a fresh token); the token layer handles its own endpoint; every
 * other failure is retried here, by the queue, and by nobody else.
 */
export type JobOutcome =
  /** Wait without spending an attempt (rate limit, concurrency limit, our own budget). */
  | { kind: 'delay'; until: number; reason: 'rate_limit' | 'concurrency' }
  /** Retry with backoff (`backoffMs`), spending an attempt; `shrinkLimit` halves the page size first. */
  | { kind: 'retry'; shrinkLimit: boolean }
  /** Stop: the run fails with this error; `credentialsInvalid` marks the tenant. */
  | { kind: 'fail'; code: string; message: string; credentialsInvalid: boolean };

/** Retry timing policy: all numbers in one block. */
export const RETRY_POLICY = {
  /** First backoff ceiling of a transient failure (5xx, reset, timeout); full jitter below it. */
  baseMs: 1_000,
  /** Largest backoff ceiling. */
  capMs: 60_000,
  /**
   * Jitter added after a rate-limit reset so that waiting jobs don't arrive together. Kept small:
   * a window is ~60 s, and the budget lets only one probe into a new window anyway.
   */
  resetJitterMs: 250,
  /**
   * When a 429 carries no reset at all, wait this long (a window's length). A reset further ahead
   * than the clamp (`OKTA_SYNC_MAX_RATE_WAIT_SECONDS`, two windows) is clamped where it is read.
   */
  unknownResetMs: 60_000,
  /** A concurrency 429 is retried soon: its reset is only a hint (OKTA-FACTS). */
  concurrencyMinMs: 200,
  concurrencyMaxMs: 1_500,
} as const;

/** The smallest page size a retry shrinks to (`shrinkLimit` halves down to it). */
export const MIN_PAGE_LIMIT = 10;

export interface Attempt {
  /** Attempts already made before this one (BullMQ `attemptsMade`). */
  made: number;
  max: number;
  /** The page size this attempt asked for, when known (a page that cannot shrink is not retried). */
  pageLimit?: number;
}

export function decideOutcome(error: unknown, attempt: Attempt, now: number = Date.now(), random: () => number = Math.random): JobOutcome {
  if (isOktaError(error)) return oktaOutcome(error, attempt, now, random);
  if (isOktaSyncError(error) && (error.code === 'decrypt_failed' || error.code === 'validation_failed' || error.code === 'pagination_loop')) {
    return fail(error.code, error.message);
  }
  // Unknown failures (store busy, Redis blip, a bug): transient until attempts run out.
  return retryOrFail(attempt, 'internal_error', error instanceof Error ? error.message : 'unknown error', false);
}

function oktaOutcome(e: OktaError, attempt: Attempt, now: number, random: () => number): JobOutcome {
  switch (e.code) {
    case 'okta_rate_limited': {
      const resetAt = e.context.retryAt ?? now + RETRY_POLICY.unknownResetMs;
      return { kind: 'delay', until: Math.max(resetAt, now) + Math.floor(random() * RETRY_POLICY.resetJitterMs), reason: 'rate_limit' };
    }
    case 'okta_concurrency_limited': {
      // Our own in-flight cap says when (already jittered); Okta's concurrency 429 does not.
      if (e.context.retryAt !== undefined) return { kind: 'delay', until: Math.max(e.context.retryAt, now), reason: 'concurrency' };
      const span = RETRY_POLICY.concurrencyMaxMs - RETRY_POLICY.concurrencyMinMs;
      return { kind: 'delay', until: now + RETRY_POLICY.concurrencyMinMs + Math.floor(random() * span), reason: 'concurrency' };
    }
    case 'okta_invalid_client':
      return { kind: 'fail', code: e.code, message: clipText(e.message), credentialsInvalid: true };
    case 'okta_pagination_loop':
      // The client saw the same cursor twice: the same failure as the chain's own loop guard.
      return fail('pagination_loop', e.message);
    default:
      // A page too large at the smallest limit will not shrink further: another attempt is wasted.
      if (wantsSmallerPage(e) && attempt.pageLimit !== undefined && attempt.pageLimit <= MIN_PAGE_LIMIT) return fail(e.code, e.message);
      if (isTransient(e)) return retryOrFail(attempt, e.code, e.message, wantsSmallerPage(e));
      return fail(e.code, e.message);
  }
}

function retryOrFail(attempt: Attempt, code: string, message: string, shrink: boolean): JobOutcome {
  return attempt.made + 1 < attempt.max ? { kind: 'retry', shrinkLimit: shrink } : fail(code, message);
}

function fail(code: string, message: string): JobOutcome {
  return { kind: 'fail', code, message: clipText(message), credentialsInvalid: false };
}

/** Exponential backoff with full jitter for attempt n (1-based), bounded by the cap. */
export function backoffMs(attemptsMade: number, random: () => number = Math.random): number {
  const ceiling = Math.min(RETRY_POLICY.capMs, RETRY_POLICY.baseMs * 2 ** Math.max(0, attemptsMade - 1));
  return Math.floor(random() * ceiling);
}
