import { startPrivateRedis } from '../src/cli/private-redis.js';

/** Benchmarks get their own redis-server (a shared one would skew figures), unless REDIS_URL is set. */
export async function resolveBenchRedis(): Promise<{ url: string; stop(): Promise<void> }> {
  const url = process.env.REDIS_URL;
  if (url) return { url, stop: async () => undefined };
  const redis = await startPrivateRedis();
  return { url: redis.url, stop: redis.stop };
}
