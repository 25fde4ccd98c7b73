import { spawnSync } from 'node:child_process';
import { type PrivateRedis, redisServerAvailable, startPrivateRedis } from '../../src/cli/private-redis.js';

/** A Redis for the test run, and how to stop it. */
export interface TestRedis {
  url: string;
  source: 'REDIS_URL' | 'testcontainers' | 'redis-server';
  stop(): Promise<void>;
}

/** True when a Docker engine answers (the docker CLI alone is not enough). */
export function dockerEngineAvailable(): boolean {
  const res = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: 5_000, encoding: 'utf8' });
  return res.status === 0 && res.stdout.trim().length > 0;
}

/**
 * Finds Redis in the documented order: `REDIS_URL`, then a Docker engine through testcontainers,
 * then a private `redis-server` from PATH on a free port. Fails with a clear message otherwise.
 */
export async function resolveRedis(env: Record<string, string | undefined>): Promise<TestRedis> {
  if (env.REDIS_URL) return { url: env.REDIS_URL, source: 'REDIS_URL', stop: async () => undefined };
  if (dockerEngineAvailable()) {
    const { RedisContainer } = await import('@testcontainers/redis');
    const container = await new RedisContainer('redis:7-alpine').withCommand(['redis-server', '--maxmemory-policy', 'noeviction']).start();
    return { url: container.getConnectionUrl(), source: 'testcontainers', stop: async () => void (await container.stop()) };
  }
  if (redisServerAvailable()) {
    const redis: PrivateRedis = await startPrivateRedis();
    return { url: redis.url, source: 'redis-server', stop: redis.stop };
  }
  throw new Error('No Redis for the tests: set REDIS_URL, run a Docker engine, or install redis-server (apt-get install -y redis-server)');
}
