import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idempotent } from '../../src/producer/idempotency.js';
import { deleteByPattern } from '../../src/producer/remove-tenant.js';
import { createRedisRateBudget } from '../../src/shared/okta/rate-budget.js';
import { releaseLock, tryLock } from '../../src/shared/okta/redis-lock.js';
import { createRedis, evictionPolicyProblem, type Redis, redisVariable } from '../../src/shared/redis.js';
import { createFairnessGate } from '../../src/workers/fairness-gate.js';
import { createFanOut } from '../../src/workers/fan-out.js';
import { type RedisClusterFixture, startRedisCluster, topologyToolsAvailable } from '../helpers/redis-topologies.js';

/**
 * Issue 18: each of our Redis users through the cluster client on a real 3-master Redis Cluster,
 * with one key prefix per master, so every Lua script also runs on a master whose script cache has
 * never seen it (EVALSHA → NOSCRIPT → EVAL) and a CROSSSLOT key set would be refused.
 */
const tools = topologyToolsAvailable();
if (!tools.ok) console.warn(`[redis cluster users] skipped: ${tools.missing.join(', ')} not on PATH (apt-get install -y redis-server redis-tools)`);
let cluster: RedisClusterFixture;
let redis: Redis;
/** One hash-tagged prefix per master. */
const prefixes: string[] = [];

beforeAll(async () => {
  if (!tools.ok) return;
  cluster = await startRedisCluster(3);
  redis = createRedis({ mode: 'cluster', nodes: cluster.masters.map((m) => ({ host: '127.0.0.1', port: m.port })), tls: false });
  await redis.ping();
  const c = redis as Cluster;
  const owners = new Set<string>();
  for (let i = 0; owners.size < 3 && i < 1_000; i++) {
    const prefix = `{t-users-${i}}`;
    const owner = c.slots[Number(await c.cluster('KEYSLOT', prefix))]?.[0];
    if (owner && !owners.has(owner)) {
      owners.add(owner);
      prefixes.push(prefix);
    }
  }
}, 120_000);

afterAll(async () => {
  redis?.disconnect();
  await cluster?.stop();
});

describe.skipIf(!tools.ok)('our Redis users on a 3-master cluster', () => {
  it('connects in cluster mode and checks every master', async () => {
    expect(redis).toBeInstanceOf(Cluster);
    expect(redisVariable(redis)).toBe('REDIS_CLUSTER_NODES');
    expect(prefixes).toHaveLength(3);
    expect(await evictionPolicyProblem(redis)).toBeUndefined();
  });

  it('rate budget, fairness gate, fan-out, locks, idempotency and the key purge work on every master', async () => {
    for (const prefix of prefixes) {
      const budget = createRedisRateBudget(redis, { keyPrefix: prefix, tenantConcurrency: 2 });
      // The first request is the window's probe; Okta's headers then open the window.
      const probe = await budget.acquire('t1', 'users', 0.5);
      expect(probe.granted).toBe(true);
      if (probe.granted) await probe.release({ status: 200, reading: { limit: 600, remaining: 590, resetAtMs: Date.now() + 60_000 } });
      const grants = [await budget.acquire('t1', 'users', 0.5), await budget.acquire('t1', 'users', 0.5), await budget.acquire('t1', 'users', 0.5)];
      expect(grants.map((g) => g.granted)).toEqual([true, true, false]);
      expect(grants[2]).toMatchObject({ reason: 'in_flight' });

      const gate = createFairnessGate(redis, prefix, { youngPages: 4, oldPages: 10, yieldMs: 150, maxYields: 2, activeMs: 5_000 });
      expect(await gate.admit('young', 1, 0)).toBe(0);
      expect(await gate.admit('old', 50, 0)).toBe(150);
      await gate.forget('young');

      const fan = createFanOut(redis, prefix, { window: 2 });
      expect(await fan.listingPage('run1', 0, ['g1', 'g2', 'g3'], true)).toEqual({ start: ['g1', 'g2'], finish: false });
      expect(await fan.childEnded('run1', 'g1')).toEqual({ start: ['g3'], finish: false });
      await fan.childEnded('run1', 'g2');
      expect((await fan.childEnded('run1', 'g3')).finish).toBe(true);

      const lock = await tryLock(redis, `${prefix}:token:t1:lock`, 5_000);
      expect(lock).toBeDefined();
      expect(await tryLock(redis, `${prefix}:token:t1:lock`, 5_000)).toBeUndefined();
      if (lock) expect(await releaseLock(redis, lock)).toBe(true);

      const first = await idempotent(redis, `${prefix}:idem:t1:k`, 'fp', async () => 42);
      const again = await idempotent(redis, `${prefix}:idem:t1:k`, 'fp', async () => 43);
      expect([first, again]).toEqual([
        { value: 42, replayed: false },
        { value: 42, replayed: true },
      ]);
      await expect(idempotent(redis, `${prefix}:idem:t1:k2`, 'fp', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
      await redis.set(`${prefix}:token:t1:scope`, 'x');
      expect(await deleteByPattern(redis, `${prefix}:token:t1:*`)).toBe(1);
      expect(await deleteByPattern(redis, `${prefix}:idem:t1:*`)).toBe(1);
    }
    // Every master now holds keys of its prefix.
    expect((await cluster.dbsizes()).every((n) => n > 0)).toBe(true);
  });
});
