import { isOktaSyncError } from '../shared/errors.js';
import { type OktaError, isOktaError, isTransient } from '../shared/okta/okta-errors.js';

/**
 * What the queue should do with a job whose attempt threw. This is the one place that turns
 * errors into queue behaviour; every failure is retried here or by the token layer, never both.
 */
export type JobOutcome =
  /** Wait without spending an attempt (rate limit, concurrency limit). */
  | { kind: 'delay'; until: number; reason: 'rate_limit' | 'concurrency' }
  /** Retry with backoff, spending an attempt; `shrinkLimit` halves the page size first. */
  | { kind: 'retry'; shrinkLimit: boolean }
  /** Stop: the run fails with this error; `credentialsInvalid` marks the tenant. */
  | { kind: 'fail'; code: string; message: string; credentialsInvalid: boolean };

/** Retry timing policy: all numbers in one block. */
export const RETRY_POLICY = {
  /** First backoff of a transient failure. */
  baseMs: 1_000,
  /** Largest backoff. */
  capMs: 60_000,
  /** Jitter added after a rate-limit reset so that waiting jobs don't stampede. */
  resetJitterMs: 1_000,
  /** A concurrency 429 is retried soon: its reset is only a hint (OKTA-FACTS). */
  concurrencyMinMs: 200,
  concurrencyMaxMs: 1_500,
} as const;

export function decideOutcome(
  error: unknown,
  attempt: { made: number; max: number },
  now: number = Date.now(),
  random: () => number = Math.random,
): JobOutcome {
  if (isOktaError(error)) return oktaOutcome(error, attempt, now, random);
  if (isOktaSyncError(error) && (error.code === 'decrypt_failed' || error.code === 'validation_failed')) {
    return fail(error.code, error.message);
  }
  // Unknown failures (store busy, a bug): transient until attempts run out.
  return retryOrFail(attempt, 'internal_error', error instanceof Error ? error.message : 'unknown error', false);
}

function oktaOutcome(e: OktaError, attempt: { made: number; max: number }, now: number, random: () => number): JobOutcome {
  switch (e.code) {
    case 'okta_rate_limited': {
      const resetAt = e.context.retryAt ?? now + 60_000;
      return { kind: 'delay', until: Math.max(resetAt, now) + Math.floor(random() * RETRY_POLICY.resetJitterMs), reason: 'rate_limit' };
    }
    case 'okta_concurrency_limited': {
      const span = RETRY_POLICY.concurrencyMaxMs - RETRY_POLICY.concurrencyMinMs;
      return { kind: 'delay', until: now + RETRY_POLICY.concurrencyMinMs + Math.floor(random() * span), reason: 'concurrency' };
    }
    case 'okta_invalid_client':
      return { kind: 'fail', code: e.code, message: e.message, credentialsInvalid: true };
    default:
      if (isTransient(e)) return retryOrFail(attempt, e.code, e.message, e.code === 'okta_page_too_large');
      return fail(e.code, e.message);
  }
}

function retryOrFail(attempt: { made: number; max: number }, code: string, message: string, shrink: boolean): JobOutcome {
  return attempt.made + 1 < attempt.max ? { kind: 'retry', shrinkLimit: shrink } : fail(code, message);
}

function fail(code: string, message: string): JobOutcome {
  return { kind: 'fail', code, message, credentialsInvalid: false };
}

/** Exponential backoff with full jitter for attempt n (1-based), bounded by the cap. */
export function backoffMs(attemptsMade: number, random: () => number = Math.random): number {
  const ceiling = Math.min(RETRY_POLICY.capMs, RETRY_POLICY.baseMs * 2 ** Math.max(0, attemptsMade - 1));
  return Math.floor(random() * ceiling);
}
