import { existsSync } from 'node:fs';
import type { TestProject } from 'vitest/node';
import { resolveRedis, type TestRedis } from './redis.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

let redis: TestRedis | undefined;

/** One Redis for the whole run (each test file uses its own queue prefix on it). */
export async function setup(project: TestProject): Promise<void> {
  if (!existsSync(new URL('../../dist/cli.js', import.meta.url))) {
    throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
  }
  redis = await resolveRedis(process.env);
  process.stderr.write(`[tests] Redis from ${redis.source}: ${redis.url}\n`);
  project.provide('redisUrl', redis.url);
}

export async function teardown(): Promise<void> {
  await redis?.stop();
}
