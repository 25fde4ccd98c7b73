/**
 * Failed authentication slowed down per client address (issue 14). The first `freeFailures`
 * failures of an address cost nothing; after that each failure locks the address out for a
 * doubling time (1 s, 2 s, 4 s… up to `maxLockMs`), during which every request from it is
 * answered 429 without looking at its key, so guessing cannot be sped up by sending in parallel.
 * Memory is bounded: at most `maxAddresses` entries, the least recently failing dropped first,
 * and an address is forgotten `forgetAfterMs` after its last failure.
 */
export interface AuthThrottleOptions {
  /** Failures of one address before any lockout, default 5. */
  freeFailures?: number;
  /** First lockout, default 1000 ms; doubled for each further failure. */
  baseLockMs?: number;
  /** Longest lockout, default 60 000 ms. */
  maxLockMs?: number;
  /** Addresses tracked at once, default 10 000. */
  maxAddresses?: number;
  /** An address's record is dropped this long after its last failure, default 15 minutes. */
  forgetAfterMs?: number;
}

export interface AuthThrottle {
  /** Milliseconds `address` is still locked out for (0: go ahead and check its key). */
  lockedFor(address: string, now?: number): number;
  failed(address: string, now?: number): void;
  succeeded(address: string): void;
  /** Addresses tracked now (for tests of the memory bound). */
  size(): number;
}

interface Entry {
  failures: number;
  lastFailure: number;
  lockedUntil: number;
}

export function createAuthThrottle(options: AuthThrottleOptions = {}): AuthThrottle {
  const freeFailures = options.freeFailures ?? 5;
  const baseLockMs = options.baseLockMs ?? 1_000;
  const maxLockMs = options.maxLockMs ?? 60_000;
  const maxAddresses = options.maxAddresses ?? 10_000;
  const forgetAfterMs = options.forgetAfterMs ?? 15 * 60_000;
  const entries = new Map<string, Entry>();
  const live = (address: string, now: number): Entry | undefined => {
    const entry = entries.get(address);
    if (entry && now - entry.lastFailure > forgetAfterMs) {
      entries.delete(address);
      return undefined;
    }
    return entry;
  };
  return {
    lockedFor(address, now = Date.now()) {
      const entry = live(address, now);
      return entry ? Math.max(0, entry.lockedUntil - now) : 0;
    },
    failed(address, now = Date.now()) {
      const entry = live(address, now) ?? { failures: 0, lastFailure: now, lockedUntil: 0 };
      entry.failures++;
      entry.lastFailure = now;
      const over = entry.failures - freeFailures;
      if (over > 0) entry.lockedUntil = now + Math.min(maxLockMs, baseLockMs * 2 ** Math.min(over - 1, 30));
      // Re-inserted so Map order is "least recently failed first"; the oldest goes when full.
      entries.delete(address);
      entries.set(address, entry);
      while (entries.size > maxAddresses) {
        const oldest = entries.keys().next().value;
        if (oldest === undefined) break;
        entries.delete(oldest);
      }
    },
    succeeded(address) {
      entries.delete(address);
    },
    size: () => entries.size,
  };
}
