import { Cluster, Redis as SingleRedis, type RedisOptions } from 'ioredis';
import type { RedisTarget } from './redis-target.js';

/** A connection of ours: one server (also Sentinel mode, which is a single-node client) or a Redis Cluster. */
export type Redis = SingleRedis | Cluster;

/**
 * The one factory for Redis connections (worker, API, CLI, demo, tests): a URL or a `RedisTarget`
 * from the config. `maxRetriesPerRequest: null` is what BullMQ workers require (blocking commands
 * must not fail while Redis restarts or fails over); `options` may override it (the CLI uses 3).
 */
export function createRedis(target: string | RedisTarget, options: RedisOptions = {}): Redis {
  const base: RedisOptions = { maxRetriesPerRequest: null, enableReadyCheck: true, lazyConnect: false, ...options };
  const t: RedisTarget = typeof target === 'string' ? { mode: 'single', url: target } : target;
  if (t.mode === 'single') return new SingleRedis(t.url, base);
  const auth: RedisOptions = { ...(t.password ? { password: t.password } : {}), ...(t.tls ? { tls: {} } : {}) };
  if (t.mode === 'sentinel') {
    // ioredis asks the sentinels for the current primary and asks again after a failover.
    return new SingleRedis({ ...base, ...auth, sentinels: t.sentinels, name: t.name, ...(t.tls ? { enableTLSForSentinelMode: true } : {}) });
  }
  return new Cluster(t.nodes, {
    // BullMQ: the cluster client itself must not give up on commands queued while a slot moves.
    enableReadyCheck: true,
    maxRedirections: 64,
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 300,
    slotsRefreshTimeout: 5_000,
    ...(t.natMap ? { natMap: t.natMap } : {}),
    ...(t.tls ? { dnsLookup: (address, callback) => callback(null, address) } : {}),
    redisOptions: { ...base, ...auth },
  });
}

/** The hash-tagged key prefix: every key of ours lands in one Redis Cluster slot. */
export function keyPrefix(queuePrefix: string): string {
  return `{${queuePrefix}}`;
}

/** The primaries to run keyless per-node commands on (SCAN, CONFIG): every master of a cluster, else the connection. */
export function primaries(redis: Redis): SingleRedis[] {
  return redis instanceof Cluster ? redis.nodes('master') : [redis];
}

/** The variable that configured this connection, for one-line errors. */
export function redisVariable(redis: Redis): 'REDIS_CLUSTER_NODES' | 'REDIS_SENTINELS' | 'REDIS_URL' {
  if (redis instanceof Cluster) return 'REDIS_CLUSTER_NODES';
  return redis.options.sentinels ? 'REDIS_SENTINELS' : 'REDIS_URL';
}

/** BullMQ needs `noeviction`; returns the policy when it is something else (managed Redis may refuse CONFIG). */
export async function evictionPolicyProblem(redis: Redis): Promise<string | undefined> {
  try {
    for (const node of primaries(redis)) {
      const reply = (await node.config('GET', 'maxmemory-policy')) as string[];
      const policy = reply[1];
      if (policy && policy !== 'noeviction') return policy;
    }
    return undefined;
  } catch {
    return undefined;
  }
}

/**
 * Logs a connection error at most once per 10 s (ioredis keeps reconnecting with backoff); without
 * a listener ioredis prints a stack for every failed attempt.
 */
export function logRedisErrors(redis: Redis, logger: { warn(obj: object, msg: string): void }): void {
  let last = 0;
  redis.on('error', (err: Error) => {
    if (Date.now() - last < 10_000) return;
    last = Date.now();
    logger.warn({ err: { message: err.message } }, 'redis connection error (retrying)');
  });
}

/** `quit()` waits for Redis to answer, forever while it is unreachable: then just disconnect. */
export async function closeRedisConnection(redis: Redis, timeoutMs = 5_000): Promise<void> {
  if (redis.status === 'ready') {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([redis.quit(), timeout]).catch(() => undefined);
    clearTimeout(timer);
  }
  redis.disconnect();
}
