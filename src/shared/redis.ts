import { Redis, type RedisOptions } from 'ioredis';

export type { Redis } from 'ioredis';

/**
 * A Redis connection for BullMQ and our own keys. `maxRetriesPerRequest: null` is what BullMQ
 * workers require (blocking commands must not fail while Redis restarts).
 */
export function createRedis(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    lazyConnect: false,
    ...options,
  });
}

/** The hash-tagged key prefix: every key of ours lands in one Redis Cluster slot. */
export function keyPrefix(queuePrefix: string): string {
  return `{${queuePrefix}}`;
}

/** BullMQ needs `noeviction`; returns the policy when it is something else (managed Redis may refuse CONFIG). */
export async function evictionPolicyProblem(redis: Redis): Promise<string | undefined> {
  try {
    const reply = (await redis.config('GET', 'maxmemory-policy')) as string[];
    const policy = reply[1];
    return policy && policy !== 'noeviction' ? policy : undefined;
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
