import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRedis, type Redis } from '../../../src/shared/redis.js';
import { createFairnessGate } from '../../../src/workers/fairness-gate.js';

/** The fairness gate against a real Redis: old runs step aside while young ones are active, boundedly. */
let redis: Redis;
let prefix: string;

beforeAll(() => {
  redis = createRedis(inject('redisUrl'));
  prefix = `{t-gate-${randomBytes(4).toString('hex')}}`;
});

afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

describe('fairness gate', () => {
  it('an old run steps aside while a young run is active, at most maxYields times per page', async () => {
    const gate = createFairnessGate(redis, `${prefix}a`, { youngPages: 4, oldPages: 10, yieldMs: 150, maxYields: 2, activeMs: 5_000 });
    expect(await gate.admit('old', 50, 0)).toBe(0); // nobody young around
    expect(await gate.admit('young', 2, 0)).toBe(0); // young runs never wait
    expect(await gate.admit('old', 50, 0)).toBe(150);
    expect(await gate.admit('old', 50, 1)).toBe(150);
    expect(await gate.admit('old', 50, 2)).toBe(0); // bounded: the page runs anyway
    expect(await gate.admit('middle', 7, 0)).toBe(0); // neither young nor old
    // A run that grew old while still listed from its own young pages does not wait for itself.
    expect(await gate.admit('grown', 1, 0)).toBe(0);
    await gate.forget('young');
    expect(await gate.admit('grown', 50, 0)).toBe(0);
    await gate.admit('young', 2, 0);
    await gate.forget('young');
    expect(await gate.admit('old', 50, 0)).toBe(0);
  });

  it('a young run stops counting once it is no longer active or has grown up', async () => {
    const gate = createFairnessGate(redis, `${prefix}b`, { youngPages: 4, oldPages: 10, activeMs: 150 });
    await gate.admit('young', 0, 0);
    expect(await gate.admit('old', 10, 0)).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 250));
    expect(await gate.admit('old', 10, 0)).toBe(0);
    await gate.admit('young', 3, 0);
    await gate.forget('young');
    await gate.admit('young', 4, 0); // now past youngPages: does not register
    expect(await gate.admit('old', 10, 0)).toBe(0);
  });
});
