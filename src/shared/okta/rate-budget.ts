import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from '../redis.js';
import type { OktaBucket } from './buckets.js';
import type { RateBudget } from './okta-client.js';
import { ACQUIRE_SCRIPT, RELEASE_SCRIPT } from './rate-budget.lua.js';

/**
 * Glossary of the rate budget.
 * - window: Okta's fixed rate-limit window of one (org, bucket), about 60 s, not aligned to the
 *   minute; `X-Rate-Limit-Reset` says when it ends.
 * - allowance: what we may spend of a window, `floor(share × limit)`; the rest is the customer's.
 * - probe: the one request sent when the current window is unknown (first call, or the reset
 *   passed); its answer tells the new window, then the allowance opens.
 * - lease: one request in flight, held in Redis with an expiry so a dead worker's lease lapses.
 */

/** Settings of the Redis rate budget; defaults in one block. */
export interface RedisRateBudgetOptions {
  /**
   * The hash-tagged key prefix every key starts with: `keyPrefix(QUEUE_PREFIX)`, or per tenant its
   * queue shard's (`ShardedQueues.prefixFor`), so one script's keys share one slot. Required.
   */
  keyPrefix: string | ((tenantId: string) => string);
  /** Requests in flight per tenant across the cluster (`OKTA_SYNC_TENANT_CONCURRENCY`). Default 10. */
  tenantConcurrency?: number;
  /** A lease not released by then is dropped (its worker died). Default 65000 ms: longer than any request lives (okta-http's 60 s). */
  leaseTtlMs?: number;
  /** Wait after a refused probe (the window's first answer is still out). Default 150 ms. */
  probeRetryMs?: number;
  /** A probe unanswered for this long no longer holds the others back (its worker may have died). Default 10000 ms. */
  probeTtlMs?: number;
  /** Wait when the tenant's in-flight cap is full, uniform in [min, max]. Default 50–300 ms. */
  inFlightRetryMinMs?: number;
  inFlightRetryMaxMs?: number;
  /** An idle (tenant, bucket) state is forgotten after this. Default 1 h. */
  stateTtlMs?: number;
  /** Answers whose resets differ by less than this belong to the same window. Default 1000 ms (windows are longer). */
  sameWindowToleranceMs?: number;
  /** For tests. Default Math.random. */
  random?: () => number;
}

export const RATE_BUDGET_DEFAULTS = {
  tenantConcurrency: 10,
  leaseTtlMs: 65_000,
  probeRetryMs: 150,
  probeTtlMs: 10_000,
  inFlightRetryMinMs: 50,
  inFlightRetryMaxMs: 300,
  stateTtlMs: 3_600_000,
  sameWindowToleranceMs: 1_000,
} as const;

/** Keys of one (tenant, bucket); exported for tests and tooling. */
export function rateBudgetKeys(prefix: string, tenantId: string, bucket: OktaBucket): [state: string, pending: string, inflight: string] {
  const base = `${prefix}:rl:${tenantId}`;
  return [`${base}:${bucket}`, `${base}:${bucket}:pending`, `${base}:inflight`];
}

/**
 * The rate budget in Redis: per (tenant, bucket) window state fed by every answer's
 * `X-Rate-Limit-*` headers, an atomic Lua reserve before each request (at most
 * `floor(share × limit)` of a window, never more than Okta says remains, one probe when the window
 * is unknown), and a per-tenant cap on requests in flight with expiring leases. A refusal carries
 * when to ask again, so the caller delays its job instead of sleeping in a worker slot.
 */
export function createRedisRateBudget(redis: Redis, options: RedisRateBudgetOptions): RateBudget {
  const o = { ...RATE_BUDGET_DEFAULTS, random: Math.random, ...options };
  const acquireScript = new LuaScript(ACQUIRE_SCRIPT);
  const releaseScript = new LuaScript(RELEASE_SCRIPT);
  return {
    async acquire(tenantId, bucket, share) {
      const keys = rateBudgetKeys(typeof o.keyPrefix === 'string' ? o.keyPrefix : o.keyPrefix(tenantId), tenantId, bucket);
      const lease = randomBytes(9).toString('base64url');
      const reply = (await acquireScript.run(redis, keys, [share, o.tenantConcurrency, lease, o.leaseTtlMs, o.stateTtlMs, o.probeTtlMs])) as [number, string?, number?];
      const now = Date.now();
      if (reply[0] === 1) {
        return {
          granted: true,
          release: async (answer) => {
            const r = answer?.reading;
            const args = r
              ? [lease, '1', r.limit, r.remaining, Math.round(r.resetAtMs - Date.now()), o.stateTtlMs, o.sameWindowToleranceMs]
              : [lease, '0', 0, 0, 0, o.stateTtlMs, o.sameWindowToleranceMs];
            await releaseScript.run(redis, keys, args);
          },
        };
      }
      const reason = reply[1] === 'window' || reply[1] === 'probe' ? reply[1] : 'in_flight';
      const span = o.inFlightRetryMaxMs - o.inFlightRetryMinMs;
      const waitMs =
        reason === 'window' ? Number(reply[2] ?? 0) : reason === 'probe' ? o.probeRetryMs : o.inFlightRetryMinMs + Math.floor(o.random() * span);
      return { granted: false, retryAt: now + Math.max(0, waitMs), reason };
    },
  };
}

/**
 * EVALSHA with a fallback to EVAL when the node does not know the script (first use, flushed cache,
 * or another Redis Cluster master / a promoted replica): EVAL caches it on the node that owns the keys.
 * The SHA is computed here, not by SCRIPT LOAD, which a cluster client sends to a random node.
 */
class LuaScript {
  private readonly sha: string;
  constructor(private readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(redis: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!String((error as Error).message).startsWith('NOSCRIPT')) throw error;
    }
    return redis.eval(this.source, keys.length, ...keys, ...args);
  }
}
