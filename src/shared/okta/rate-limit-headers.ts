/** What one response says about its rate-limit bucket. */
export interface RateLimitReading {
  limit: number;
  remaining: number;
  /** When the window resets, on the local clock (epoch ms), computed against the response `Date`. */
  resetAtMs: number;
}

/** Margin added to resets for clock skew between Okta's `Date` and ours. */
export const RESET_SKEW_MS = 1_000;

/**
 * Reads `X-Rate-Limit-*`. `X-Rate-Limit-Reset` is epoch seconds on Okta's clock, so the wait is
 * computed against the response `Date` header and applied to the local clock. Returns undefined
 * when the headers are absent or malformed, never throws.
 */
export function readRateLimit(
  headers: Record<string, string | string[] | undefined>,
  now: number = Date.now(),
): RateLimitReading | undefined {
  const limit = num(headers['x-rate-limit-limit']);
  const remaining = num(headers['x-rate-limit-remaining']);
  const reset = num(headers['x-rate-limit-reset']);
  if (limit === undefined || remaining === undefined || reset === undefined) return undefined;
  const date = Date.parse(String(headers.date ?? ''));
  const serverNow = Number.isFinite(date) ? date : now;
  const waitMs = Math.max(0, reset * 1000 - serverNow);
  return { limit, remaining, resetAtMs: now + waitMs + RESET_SKEW_MS };
}

function num(value: string | string[] | undefined): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v.trim() === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}
