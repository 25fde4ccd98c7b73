import { randomBytes } from 'node:crypto';
import type { Redis } from '../redis.js';

/** Deletes the lock only if it still holds our value: a lock that expired and was taken by another process is not ours to free. */
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
/** Extends the lock only while it is still ours. */
const EXTEND = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;

/** A held lock: its key and the random value that proves ownership. */
export interface HeldLock {
  readonly key: string;
  readonly value: string;
}

/**
 * A single-holder Redis lock: `SET key <random> NX PX ttl` to take, Lua compare-and-delete to
 * release. A holder that dies costs at most `ttlMs`; a live holder keeps it with `keepAlive`.
 */
export async function tryLock(redis: Redis, key: string, ttlMs: number): Promise<HeldLock | undefined> {
  const value = randomBytes(16).toString('base64url');
  const ok = await redis.set(key, value, 'PX', ttlMs, 'NX');
  return ok === 'OK' ? { key, value } : undefined;
}

/** Releases the lock if it is still ours; true when it was. */
export async function releaseLock(redis: Redis, lock: HeldLock): Promise<boolean> {
  return (await redis.eval(RELEASE, 1, lock.key, lock.value)) === 1;
}

/** Pushes the lock's expiry to `ttlMs` from now if it is still ours; true when it was. */
export async function extendLock(redis: Redis, lock: HeldLock, ttlMs: number): Promise<boolean> {
  return (await redis.eval(EXTEND, 1, lock.key, lock.value, String(ttlMs))) === 1;
}

/**
 * Extends the lock every `ttlMs / 3` until stopped, so that slow work (a token endpoint taking
 * its time) keeps it while a dead process's lock still expires after `ttlMs`. Errors are ignored:
 * the worst case is another process taking over after the TTL.
 */
export function keepAlive(redis: Redis, lock: HeldLock, ttlMs: number): { stop(): void } {
  const timer = setInterval(() => {
    extendLock(redis, lock, ttlMs).catch(() => undefined);
  }, Math.max(10, Math.floor(ttlMs / 3)));
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
