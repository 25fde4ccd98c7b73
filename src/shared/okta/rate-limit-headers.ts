/** What one response says about its rate-limit bucket. */
export interface RateLimitReading {
  limit: number;
  remaining: number;
  /** When the window resets, on the local clock (epoch ms), computed against the server's clock. */
  resetAtMs: number;
}

/**
 * Margin added to resets. The server clock estimate is a lower bound (see `ServerClock`), so a
 * reset computed from it is not early; the margin only covers what the estimate cannot see.
 */
export const RESET_SKEW_MS = 100;

/**
 * How far ahead a reset may push a wait by default: two of Okta's ~60 s windows. An org that
 * answers `X-Rate-Limit-Reset: 9999999999` would otherwise park a page until the year 2286.
 */
export const MAX_RESET_AHEAD_MS = 120_000;

/**
 * A reset no later than `now + maxAheadMs`. One further ahead is clamped to just under the bound,
 * jittered over its last tenth so that the pages of many runs do not all come back at once.
 */
export function clampReset(resetAtMs: number, now: number, maxAheadMs: number = MAX_RESET_AHEAD_MS, random: () => number = Math.random): number {
  if (resetAtMs <= now + maxAheadMs) return resetAtMs;
  return now + maxAheadMs - Math.floor(random() * maxAheadMs * 0.1);
}

type Headers = Record<string, string | string[] | undefined>;

/**
 * Reads `X-Rate-Limit-*`. `X-Rate-Limit-Reset` is epoch seconds on Okta's clock, so the reset is
 * moved onto the local clock with the server's offset: from `clock` when it has one, else from
 * this response's `Date` header, else none; then clamped to `maxAheadMs` (`clampReset`). Returns
 * undefined when the headers are absent or malformed, never throws.
 */
export function readRateLimit(
  headers: Headers,
  now: number = Date.now(),
  clock?: ServerClock,
  maxAheadMs: number = MAX_RESET_AHEAD_MS,
): RateLimitReading | undefined {
  const limit = num(headers['x-rate-limit-limit']);
  const remaining = num(headers['x-rate-limit-remaining']);
  const reset = num(headers['x-rate-limit-reset']);
  if (limit === undefined || remaining === undefined || reset === undefined) return undefined;
  const date = Date.parse(first(headers.date) ?? '');
  const offset = clock?.offsetMs() ?? (Number.isFinite(date) ? date - now : 0);
  return { limit, remaining, resetAtMs: clampReset(Math.max(now, reset * 1000 - offset) + RESET_SKEW_MS, now, maxAheadMs) };
}

/** Options of a server clock estimate; defaults in one block. */
export interface ServerClockOptions {
  /** How fast the two clocks may drift apart, in ms per second; the bounds widen by it. Default 1. */
  driftMsPerSecond?: number;
}

/**
 * Estimates `server clock − local clock` from `Date` headers. A `Date` has whole seconds, so one
 * response pins the offset only to about a second: the server wrote `Date` at some local time
 * between sending and receiving, so offset ∈ [Date − receivedAt, Date + 1000 − sentAt]. Many
 * responses, landing at different fractions of a second, narrow the intersection to about a round
 * trip. `offsetMs` is the lower bound: a reset moved onto the local clock with it is never early,
 * and a fixed window that is 10 s long does not lose a second to rounding at each reset.
 */
export class ServerClock {
  private lo = Number.NEGATIVE_INFINITY;
  private hi = Number.POSITIVE_INFINITY;
  private at = 0;
  private readonly drift: number;

  constructor(options: ServerClockOptions = {}) {
    this.drift = options.driftMsPerSecond ?? 1;
  }

  /** Adds one response's `Date` header, sent and received at these local times. */
  observe(dateHeader: string | string[] | undefined, sentAt: number, receivedAt: number): void {
    const date = Date.parse(first(dateHeader) ?? '');
    if (!Number.isFinite(date) || receivedAt < sentAt) return;
    const sampleLo = date - receivedAt;
    const sampleHi = date + 1000 - sentAt;
    const widen = Math.max(0, receivedAt - this.at) * (this.drift / 1000);
    this.lo = Math.max(this.lo - widen, sampleLo);
    this.hi = Math.min(this.hi + widen, sampleHi);
    // Disjoint: a clock was stepped. Start over from this response.
    if (this.lo > this.hi) {
      this.lo = sampleLo;
      this.hi = sampleHi;
    }
    this.at = receivedAt;
  }

  /** The offset's lower bound in ms (server − local), or undefined before the first `Date`. */
  offsetMs(): number | undefined {
    return Number.isFinite(this.lo) ? this.lo : undefined;
  }

  /** Width of the estimate in ms (how much is still unknown), or undefined before the first `Date`. */
  uncertaintyMs(): number | undefined {
    return Number.isFinite(this.lo) ? this.hi - this.lo : undefined;
  }
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function num(value: string | string[] | undefined): number | undefined {
  const v = first(value);
  if (v === undefined || v.trim() === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}
