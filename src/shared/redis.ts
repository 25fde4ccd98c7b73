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
