import { BUCKETS, type Bucket, type RateLimitConfig, type RatePresetName } from './types.js';

/** Last published Okta defaults, requests per minute (OKTA-FACTS.md); 'unlimited' for benchmarks. */
export const RATE_PRESETS: Record<RatePresetName, RateLimitConfig> = {
  enterprise: { users: 600, user_by_id: 1000, groups: 600, group_by_id: 600, apps: 100, app_by_id: 600, logs: 50, other: 600, token: 1200 },
  free: { users: 100, user_by_id: 100, groups: 100, group_by_id: 100, apps: 20, app_by_id: 100, logs: 20, other: 100, token: 200 },
  unlimited: {
    users: 1_000_000,
    user_by_id: 1_000_000,
    groups: 1_000_000,
    group_by_id: 1_000_000,
    apps: 1_000_000,
    app_by_id: 1_000_000,
    logs: 1_000_000,
    other: 1_000_000,
    token: 1_000_000,
  },
};

/** One fixed window of one bucket, as introspection reports it. */
export interface WindowRecord {
  bucket: Bucket;
  startedAtMs: number;
  endsAtMs: number;
  limit: number;
  used: number;
  rejected: number;
}

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** UTC epoch seconds at which the window ends (X-Rate-Limit-Reset). */
  resetSeconds: number;
}

const HISTORY = 200;

/**
 * Fixed windows per bucket. A window starts with the first request after the previous one ended,
 * so windows drift against wall-clock minutes the way Okta's do: a client has to read the
 * headers instead of assuming the top of the minute.
 */
export class RateLimiter {
  private readonly current = new Map<Bucket, WindowRecord>();
  private readonly history = new Map<Bucket, WindowRecord[]>();

  constructor(private readonly limits: RateLimitConfig, private readonly windowMs: number) {}

  take(bucket: Bucket, nowMs: number): RateDecision {
    let window = this.current.get(bucket);
    if (!window || nowMs >= window.endsAtMs) {
      if (window) this.archive(window);
      window = { bucket, startedAtMs: nowMs, endsAtMs: nowMs + this.windowMs, limit: this.limits[bucket], used: 0, rejected: 0 };
      this.current.set(bucket, window);
    }
    const allowed = window.used < window.limit;
    if (allowed) window.used++;
    else window.rejected++;
    // Rounded up so that waiting until Reset (read against the Date header) is never too early.
    const resetSeconds = Math.ceil(window.endsAtMs / 1000);
    return { allowed, limit: window.limit, remaining: window.limit - window.used, resetSeconds };
  }

  private archive(window: WindowRecord): void {
    const list = this.history.get(window.bucket) ?? [];
    list.push(window);
    if (list.length > HISTORY) list.shift();
    this.history.set(window.bucket, list);
  }

  /** Past and current windows per bucket, oldest first. */
  windows(): Record<Bucket, WindowRecord[]> {
    const out = {} as Record<Bucket, WindowRecord[]>;
    for (const bucket of BUCKETS) {
      const list = [...(this.history.get(bucket) ?? [])];
      const open = this.current.get(bucket);
      if (open) list.push({ ...open });
      out[bucket] = list;
    }
    return out;
  }

  /** Forgets finished windows; the open window keeps counting, since it is limiter state. */
  clearHistory(): void {
    this.history.clear();
  }
}
