import { createHash, randomUUID } from 'node:crypto';
import type { Redis } from '../shared/redis.js';
import { HttpError } from './api/http-errors.js';

/** Idempotency settings; defaults in one block. */
export interface IdempotencyOptions {
  /** How long a key's answer is kept, default 24 h. */
  ttlSeconds?: number;
  /** How long a retry waits for the first request with the same key to finish, default 5000 ms. */
  waitMs?: number;
}

const DEFAULTS: Required<IdempotencyOptions> = { ttlSeconds: 24 * 3600, waitMs: 5_000 };

interface IdemRecord<T> {
  state: 'pending' | 'done';
  /** Fingerprint of the request body: the same key with another body is a client bug. */
  fp: string;
  owner?: string;
  value?: T;
}

/** Deletes the key only while it still holds our pending claim. */
const RELEASE = `local v = redis.call('GET', KEYS[1])
if v and string.find(v, ARGV[1], 1, true) then return redis.call('DEL', KEYS[1]) end
return 0`;

export function fingerprint(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex');
}

/**
 * Runs `work` once per idempotency key: the first request claims the key (SET NX), stores its answer
 * for 24 h, and every retry with the same key and body gets that answer back (`replayed`).
 * A failed first attempt releases the key so a retry can run. Throws 409 for the same key with a
 * different body, or while the first request is still running after `waitMs`.
 */
export async function idempotent<T>(
  redis: Redis,
  key: string,
  fp: string,
  work: () => Promise<T>,
  options: IdempotencyOptions = {},
): Promise<{ value: T; replayed: boolean }> {
  const o = { ...DEFAULTS, ...options };
  const owner = randomUUID();
  const claim: IdemRecord<T> = { state: 'pending', fp, owner };
  const claimed = await redis.set(key, JSON.stringify(claim), 'EX', o.ttlSeconds, 'NX');
  if (claimed === 'OK') {
    let value: T;
    try {
      value = await work();
    } catch (error) {
      await redis.eval(RELEASE, 1, key, owner);
      throw error;
    }
    const done: IdemRecord<T> = { state: 'done', fp, value };
    await redis.set(key, JSON.stringify(done), 'EX', o.ttlSeconds);
    return { value, replayed: false };
  }
  const deadline = Date.now() + o.waitMs;
  for (;;) {
    const raw = await redis.get(key);
    // Released by a failed first attempt: claim it ourselves.
    if (raw === null) return idempotent(redis, key, fp, work, { ...o, waitMs: Math.max(0, deadline - Date.now()) });
    const record = JSON.parse(raw) as IdemRecord<T>;
    if (record.fp !== fp) {
      throw new HttpError(409, 'idempotency_key_reused', 'this Idempotency-Key was used with a different request body');
    }
    if (record.state === 'done') return { value: record.value as T, replayed: true };
    if (Date.now() >= deadline) {
      throw new HttpError(409, 'idempotency_key_in_use', 'a request with this Idempotency-Key is still in progress; retry later');
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
