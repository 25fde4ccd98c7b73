import type { Redis } from '../shared/redis.js';

/**
 * Least attained service across runs, beyond what queue priorities can do. Priorities only order
 * jobs that wait for a worker slot; when slots are plentiful every chain runs and they share the
 * CPU, the store and the network. So a run that has done many pages ("old") steps aside, delayed
 * without holding a slot, while runs that have done few ("young") are active, and each young run
 * finishes nearly as fast as it would alone. Young runs are the common case (small tenants,
 * incremental runs) and end quickly; the bound on consecutive yields keeps an old run moving
 * even when young runs never stop arriving.
 */
export interface FairnessGate {
  /**
   * Called before a page job runs. Returns how long (ms) the job should step aside, or 0 to run.
   * `yields` is how many times this page has already stepped aside.
   */
  admit(runId: string, pagesDone: number, yields: number): Promise<number>;
  /** A run ended: it no longer counts as young. */
  forget(runId: string): Promise<void>;
}

export interface FairnessGateOptions {
  /** A run with fewer pages than this is young. Default 16 (a 3 000-user org's users). */
  youngPages?: number;
  /** A run with at least this many pages is old and yields to young runs. Default 32. */
  oldPages?: number;
  /** How long a young run counts as active after its last page started, ms. Default 2 000. */
  activeMs?: number;
  /** One step aside, ms. Default 200. */
  yieldMs?: number;
  /** Consecutive steps aside of one page before it runs anyway. Default 5 (at least a page a second). */
  maxYields?: number;
}

// KEYS[1]: zset of young runs scored by when they stop counting as active (Redis clock, ms).
// ARGV: runId, role ('young' | 'old' | ''), activeMs. Returns 1 when another young run is active.
const ADMIT_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if ARGV[2] == 'young' then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]) * 2)
  return 0
end
if ARGV[2] == 'old' then
  -- Never wait for ourselves: this run may still be listed from its own young pages.
  redis.call('ZREM', KEYS[1], ARGV[1])
  if redis.call('ZCARD', KEYS[1]) > 0 then return 1 end
end
return 0
`;

export function createFairnessGate(redis: Redis, keyPrefix: string, options: FairnessGateOptions = {}): FairnessGate {
  const youngPages = options.youngPages ?? 16;
  const oldPages = options.oldPages ?? 32;
  const activeMs = options.activeMs ?? 2_000;
  const yieldMs = options.yieldMs ?? 200;
  const maxYields = options.maxYields ?? 5;
  const key = `${keyPrefix}:fairness:young`;
  return {
    async admit(runId, pagesDone, yields) {
      const role = pagesDone < youngPages ? 'young' : pagesDone >= oldPages && yields < maxYields ? 'old' : '';
      if (role === '') return 0;
      const busy = (await redis.eval(ADMIT_SCRIPT, 1, key, runId, role, activeMs)) as number;
      return busy === 1 ? yieldMs : 0;
    },
    async forget(runId) {
      await redis.zrem(key, runId);
    },
  };
}
