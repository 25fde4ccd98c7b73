import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { OktaBucket } from '../../../src/shared/okta/buckets.js';
import type { RateAnswer, RateBudget, RateDenial, RateGrant } from '../../../src/shared/okta/okta-client.js';
import { createRedisRateBudget, type RedisRateBudgetOptions, rateBudgetKeys } from '../../../src/shared/okta/rate-budget.js';
import { createRedis, keyPrefix, type Redis } from '../../../src/shared/redis.js';

/**
 * The Lua rate budget against real Redis: window accounting from answers, the probe before a
 * window is known, resets that pass, the per-tenant in-flight cap and its expiring leases, and
 * atomicity under many connections.
 */
const prefix = keyPrefix(`t-rb-${randomBytes(4).toString('hex')}`);
const connections: Redis[] = [];
let redis: Redis;

beforeAll(() => {
  redis = connect();
});
afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await Promise.all(connections.map((c) => c.quit()));
});

function connect(): Redis {
  const c = createRedis(inject('redisUrl'));
  connections.push(c);
  return c;
}

let tenants = 0;
const newTenant = () => `tenant${++tenants}`;
const budget = (options: Partial<RedisRateBudgetOptions> = {}, on: Redis = redis): RateBudget =>
  createRedisRateBudget(on, { keyPrefix: prefix, tenantConcurrency: 1_000, ...options });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An answer with these headers, the window resetting `resetInMs` from now. */
const answer = (limit: number, remaining: number, resetInMs: number, status = 200): RateAnswer => ({
  status,
  reading: { limit, remaining, resetAtMs: Date.now() + resetInMs },
});

function granted(r: RateGrant | RateDenial): RateGrant {
  if (!r.granted) throw new Error(`expected a grant, got ${r.reason}`);
  return r;
}

function denied(r: RateGrant | RateDenial): RateDenial {
  if (r.granted) throw new Error('expected a denial');
  return r;
}

/** Acquires until refused; returns the grants and the refusal. */
async function drain(b: RateBudget, tenant: string, share: number, max = 1_000): Promise<{ grants: RateGrant[]; denial: RateDenial }> {
  const grants: RateGrant[] = [];
  for (let i = 0; i < max; i++) {
    const r = await b.acquire(tenant, 'users', share);
    if (!r.granted) return { grants, denial: r };
    grants.push(r);
  }
  throw new Error(`still granting after ${max}`);
}

/** Opens a window: the probe is answered with (limit, remaining, reset). */
async function openWindow(b: RateBudget, tenant: string, share: number, limit: number, remaining: number, resetInMs: number, bucket: OktaBucket = 'users') {
  const probe = granted(await b.acquire(tenant, bucket, share));
  await probe.release(answer(limit, remaining, resetInMs));
}

describe('window accounting', () => {
  it('sends one probe before the first answer, then spends floor(share x limit) and waits for the reset', async () => {
    const b = budget();
    const t = newTenant();
    const probe = granted(await b.acquire(t, 'users', 0.2));
    const waiting = denied(await b.acquire(t, 'users', 0.2));
    expect(waiting.reason).toBe('probe');
    expect(waiting.retryAt - Date.now()).toBeLessThanOrEqual(150);
    await probe.release(answer(100, 99, 5_000));
    const { grants, denial } = await drain(b, t, 0.2);
    // The probe was the first of the window's 20.
    expect(grants).toHaveLength(19);
    expect(denial.reason).toBe('window');
    expect(denial.retryAt - Date.now()).toBeGreaterThan(4_800);
    expect(denial.retryAt - Date.now()).toBeLessThanOrEqual(5_000);
  });

  it('never reserves more than Okta says remains (other integrations spend the same bucket)', async () => {
    const b = budget();
    const t = newTenant();
    await openWindow(b, t, 0.5, 100, 4, 5_000);
    const { grants, denial } = await drain(b, t, 0.5);
    expect(grants).toHaveLength(4);
    expect(denial.reason).toBe('window');
  });

  it('counts requests still in flight against what an answer says remains', async () => {
    const b = budget();
    const t = newTenant();
    await openWindow(b, t, 1, 100, 99, 5_000);
    const out = await Promise.all(Array.from({ length: 10 }, () => b.acquire(t, 'users', 1)));
    const grants = out.map(granted);
    // One answer: 50 remain by Okta's count, while 9 of ours are still out (they may not be counted yet).
    await grants[0]!.release(answer(100, 50, 5_000));
    const [state] = rateBudgetKeys(prefix, t, 'users');
    expect(Number(await redis.hget(state, 'rem'))).toBe(41);
    expect((await drain(b, t, 1)).grants).toHaveLength(41);
  });

  it('a 429 answer closes the window until its reset; a concurrency 429 (limit 0) says nothing about it', async () => {
    const b = budget();
    const t = newTenant();
    await openWindow(b, t, 0.5, 100, 90, 5_000);
    const [state] = rateBudgetKeys(prefix, t, 'users');
    const g1 = granted(await b.acquire(t, 'users', 0.5));
    const before = await redis.hgetall(state);
    await g1.release(answer(0, 0, 1_000, 429));
    expect(await redis.hgetall(state)).toEqual(before);
    const g2 = granted(await b.acquire(t, 'users', 0.5));
    await g2.release(answer(100, 0, 4_000, 429));
    const denial = denied(await b.acquire(t, 'users', 0.5));
    expect(denial.reason).toBe('window');
    expect(denial.retryAt - Date.now()).toBeGreaterThan(3_500);
  });

  it('after the reset passes, one probe learns the new window and the allowance opens again', async () => {
    const b = budget();
    const t = newTenant();
    await openWindow(b, t, 0.5, 10, 9, 300);
    const old = await drain(b, t, 0.5);
    expect(old.grants).toHaveLength(4);
    await sleep(350);
    // Requests of the old window still out do not hold the probe back.
    const probe = granted(await b.acquire(t, 'users', 0.5));
    expect(denied(await b.acquire(t, 'users', 0.5)).reason).toBe('probe');
    await probe.release(answer(10, 9, 10_000));
    // They may land in the new window: counted as spent there until they answer.
    expect((await drain(b, t, 0.5)).grants).toHaveLength(0);
    await Promise.all(old.grants.map((g) => g.release()));
    const [state] = rateBudgetKeys(prefix, t, 'users');
    expect(await redis.hget(state, 'used')).toBe('5');
  });

  it('a probe whose worker died holds the others back only until probeTtlMs', async () => {
    const b = budget({ probeTtlMs: 300 });
    const t = newTenant();
    granted(await b.acquire(t, 'users', 0.5));
    expect(denied(await b.acquire(t, 'users', 0.5)).reason).toBe('probe');
    await sleep(350);
    const second = granted(await b.acquire(t, 'users', 0.5));
    await second.release(answer(10, 8, 5_000));
    expect((await drain(b, t, 0.5)).grants.length).toBeGreaterThan(0);
  });

  it('a probe answered from the window we knew (our reset estimate was early) counts in that window', async () => {
    const b = budget();
    const t = newTenant();
    await openWindow(b, t, 0.5, 10, 9, 200);
    const first = await drain(b, t, 0.5);
    expect(first.grants).toHaveLength(4);
    await Promise.all(first.grants.map((g) => g.release(answer(10, 5, 200))));
    await sleep(250);
    const probe = granted(await b.acquire(t, 'users', 0.5));
    // Okta's answer puts the end of the same window a little later than we thought.
    await probe.release(answer(10, 4, 600));
    const [state] = rateBudgetKeys(prefix, t, 'users');
    expect(await redis.hget(state, 'used')).toBe('6');
    expect(denied(await b.acquire(t, 'users', 0.5)).reason).toBe('window');
  });

  it('ignores answers from a window that is already over, and late answers from an older window', async () => {
    const b = budget();
    const t = newTenant();
    await openWindow(b, t, 0.5, 100, 99, 10_000);
    const [state] = rateBudgetKeys(prefix, t, 'users');
    const before = await redis.hgetall(state);
    const late = granted(await b.acquire(t, 'users', 0.5));
    await late.release(answer(100, 1, -500));
    const older = granted(await b.acquire(t, 'users', 0.5));
    await older.release(answer(100, 1, 3_000));
    const after = await redis.hgetall(state);
    expect(after.rem).toBe(String(Number(before.rem) - 2));
    expect(after.resetAt).toBe(before.resetAt);
  });

  it('an answer from a newer window restarts the count, assuming requests still out land in it', async () => {
    const b = budget();
    const t = newTenant();
    await openWindow(b, t, 1, 100, 99, 2_000);
    const out = (await Promise.all(Array.from({ length: 5 }, () => b.acquire(t, 'users', 1)))).map(granted);
    await out[0]!.release(answer(100, 99, 62_000));
    const [state] = rateBudgetKeys(prefix, t, 'users');
    expect(await redis.hmget(state, 'used', 'rem', 'limit')).toEqual(['5', '95', '100']);
  });

  it('keeps separate windows per bucket and per tenant', async () => {
    const b = budget();
    const t = newTenant();
    await openWindow(b, t, 0.5, 4, 3, 5_000);
    expect((await drain(b, t, 0.5)).grants).toHaveLength(1);
    expect((await b.acquire(t, 'groups', 0.5)).granted).toBe(true);
    expect((await b.acquire(newTenant(), 'users', 0.5)).granted).toBe(true);
  });

  it('grants exactly the allowance to 240 concurrent acquires over 8 connections', async () => {
    const t = newTenant();
    const budgets = Array.from({ length: 8 }, () => budget({}, connect()));
    await openWindow(budgets[0]!, t, 0.37, 100, 99, 10_000);
    const results = await Promise.all(Array.from({ length: 240 }, (_, i) => budgets[i % 8]!.acquire(t, 'users', 0.37)));
    // 37 per window, one of which was the probe.
    expect(results.filter((r) => r.granted)).toHaveLength(36);
    expect(results.filter((r) => !r.granted && r.reason === 'window')).toHaveLength(204);
  });
});

describe('requests in flight per tenant', () => {
  it('caps leases across buckets of one tenant, answers a full cap with a short jittered retry, frees on release', async () => {
    const b = budget({ tenantConcurrency: 3 });
    const t = newTenant();
    const leases = [
      granted(await b.acquire(t, 'users', 1)),
      granted(await b.acquire(t, 'groups', 1)),
      granted(await b.acquire(t, 'apps', 1)),
    ];
    const full = denied(await b.acquire(t, 'logs', 1));
    expect(full.reason).toBe('in_flight');
    expect(full.retryAt - Date.now()).toBeGreaterThanOrEqual(0);
    expect(full.retryAt - Date.now()).toBeLessThanOrEqual(300);
    expect((await b.acquire(newTenant(), 'logs', 1)).granted).toBe(true);
    await leases[1]!.release();
    const next = granted(await b.acquire(t, 'logs', 1));
    await Promise.all([next, leases[0]!, leases[2]!].map((g) => g.release()));
    const [, , inflight] = rateBudgetKeys(prefix, t, 'users');
    expect(await redis.zcard(inflight)).toBe(0);
  });

  it('drops the leases of a worker that died once they expire', async () => {
    const dead = budget({ tenantConcurrency: 2, leaseTtlMs: 300 });
    const t = newTenant();
    granted(await dead.acquire(t, 'users', 1));
    granted(await dead.acquire(t, 'groups', 1));
    expect(denied(await dead.acquire(t, 'apps', 1)).reason).toBe('in_flight');
    await sleep(350);
    // The users probe lease expired too, so a new probe may go.
    expect((await budget({ tenantConcurrency: 2 }).acquire(t, 'users', 1)).granted).toBe(true);
  });

  it('a cap of 4 holds under 100 concurrent acquires from 5 connections', async () => {
    const t = newTenant();
    const budgets = Array.from({ length: 5 }, () => budget({ tenantConcurrency: 4 }, connect()));
    const buckets = ['users', 'groups', 'apps', 'logs', 'other'] as const;
    for (const bucket of buckets) await openWindow(budgets[0]!, t, 1, 100, 99, 10_000, bucket);
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => budgets[i % 5]!.acquire(t, buckets[i % 5]!, 1)));
    expect(results.filter((r) => r.granted)).toHaveLength(4);
  });
});

describe('keys', () => {
  it('live under the hash-tagged prefix and expire', async () => {
    const b = budget();
    const t = newTenant();
    await openWindow(b, t, 0.5, 100, 99, 5_000);
    granted(await b.acquire(t, 'users', 0.5));
    const keys = await redis.keys(`*${t}*`);
    expect(keys.sort()).toEqual([...rateBudgetKeys(prefix, t, 'users')].sort());
    for (const key of keys) {
      expect(key.startsWith(`${prefix}:rl:`)).toBe(true);
      expect(await redis.pttl(key)).toBeGreaterThan(0);
    }
  });
});
