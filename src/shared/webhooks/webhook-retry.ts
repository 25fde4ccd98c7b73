/**
 * Retry timing of webhook deliveries: exponential with jitter, capped, for up to a day. Data plus
 * a pure function, like the page jobs' policy in workers/job-outcome.ts.
 */
export interface WebhookRetryPolicy {
  /** Backoff ceiling after the first failed attempt, default 10 s. */
  baseMs: number;
  /** Largest backoff ceiling, default 1 h. */
  capMs: number;
  /** A delivery older than this is given up on (counted `expired`), default 24 h. */
  maxAgeMs: number;
  /** Attempts at most; with the defaults the age limit is reached first (~35 attempts in a day). */
  attempts: number;
}

export const WEBHOOK_RETRY: Readonly<WebhookRetryPolicy> = {
  baseMs: 10_000,
  capMs: 3_600_000,
  maxAgeMs: 86_400_000,
  attempts: 60,
};

/**
 * Wait before retry n (1-based): "equal jitter" (half the ceiling plus a random half), so retries
 * of many deliveries spread out while the total time to the age limit stays predictable.
 */
export function webhookBackoffMs(attemptsMade: number, policy: Pick<WebhookRetryPolicy, 'baseMs' | 'capMs'> = WEBHOOK_RETRY, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, Math.min(attemptsMade - 1, 40)));
  return Math.floor(ceiling / 2 + random() * (ceiling / 2));
}
