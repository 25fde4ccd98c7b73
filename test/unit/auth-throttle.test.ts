import { describe, expect, it } from 'vitest';
import { createAuthThrottle } from '../../src/producer/api/auth-throttle.js';

describe('createAuthThrottle', () => {
  it('lets the first failures through, then locks the address out for a doubling, capped time', () => {
    const t = createAuthThrottle({ freeFailures: 2, baseLockMs: 1_000, maxLockMs: 4_000 });
    const locks: number[] = [];
    for (let i = 0; i < 6; i++) {
      t.failed('10.0.0.1', 0);
      locks.push(t.lockedFor('10.0.0.1', 0));
    }
    expect(locks).toEqual([0, 0, 1_000, 2_000, 4_000, 4_000]);
    expect(t.lockedFor('10.0.0.2', 0)).toBe(0);
    expect(t.lockedFor('10.0.0.1', 3_999)).toBe(1);
    expect(t.lockedFor('10.0.0.1', 4_000)).toBe(0);
  });

  it('forgets an address after a success or after forgetAfterMs', () => {
    const t = createAuthThrottle({ freeFailures: 0, forgetAfterMs: 60_000 });
    t.failed('a', 0);
    t.succeeded('a');
    expect(t.lockedFor('a', 0)).toBe(0);
    t.failed('b', 0);
    expect(t.size()).toBe(1);
    t.failed('b', 100_000);
    // The earlier failure was forgotten: this is the first again (1 s, not 2 s).
    expect(t.lockedFor('b', 100_000)).toBe(1_000);
  });

  it('tracks at most maxAddresses, dropping the least recently failed', () => {
    const t = createAuthThrottle({ freeFailures: 0, maxAddresses: 100 });
    for (let i = 0; i < 10_000; i++) t.failed(`10.1.${i >> 8}.${i & 255}`, 0);
    expect(t.size()).toBe(100);
    expect(t.lockedFor('10.1.0.0', 0)).toBe(0);
    expect(t.lockedFor(`10.1.${9_999 >> 8}.${9_999 & 255}`, 0)).toBeGreaterThan(0);
  });
});
