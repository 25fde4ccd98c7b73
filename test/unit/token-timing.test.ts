import { describe, expect, it } from 'vitest';
import { OktaError } from '../../src/shared/okta/okta-errors.js';
import { DEFAULT_TOKEN_TIMING as T, expirySkewMs, failureShareMs, isUsable, refreshDue, usableUntil } from '../../src/shared/okta/token-timing.js';

const HOUR = 3_600_000;

describe('token timing', () => {
  it.each([
    // lifetime, skew: 5% of the lifetime, at least 1 s, at most 30 s, never over half the life
    [HOUR, 30_000],
    [20_000, 1_000],
    [5_000, 1_000],
    [1_000, 500],
    [200_000, 10_000],
    [400_000, 20_000],
  ])('a %i ms token is not handed out in its last %i ms', (lifetimeMs, skew) => {
    expect(expirySkewMs(lifetimeMs, T)).toBe(skew);
    const token = { expiresAt: 1_000_000 + lifetimeMs, lifetimeMs };
    expect(usableUntil(token, T)).toBe(1_000_000 + lifetimeMs - skew);
    expect(isUsable(token, 1_000_000 + lifetimeMs - skew - 1, T)).toBe(true);
    expect(isUsable(token, 1_000_000 + lifetimeMs - skew, T)).toBe(false);
  });

  it.each([
    // lifetime, elapsed since issue, refresh due? (window: 10% of life, at least twice the skew)
    [HOUR, 0.89 * HOUR, false],
    [HOUR, 0.91 * HOUR, true],
    [20_000, 17_900, false],
    [20_000, 18_100, true],
    [5_000, 2_900, false],
    [5_000, 3_100, true],
  ])('a %i ms token %i ms after issue: refresh due = %s', (lifetimeMs, elapsed, due) => {
    expect(refreshDue({ expiresAt: lifetimeMs, lifetimeMs }, elapsed, T)).toBe(due);
  });

  it('refreshes well before the token stops being handed out', () => {
    for (const lifetimeMs of [1_000, 5_000, 20_000, HOUR]) {
      const token = { expiresAt: lifetimeMs, lifetimeMs };
      const firstDue = Array.from({ length: 1001 }, (_, i) => (i * lifetimeMs) / 1000).find((t) => refreshDue(token, t, T));
      expect(firstDue).toBeDefined();
      expect(usableUntil(token, T) - firstDue!).toBeGreaterThanOrEqual(expirySkewMs(lifetimeMs, T) - lifetimeMs / 1000);
    }
  });

  it.each([
    ['okta_invalid_client', {}, 5_000],
    ['okta_invalid_scope', {}, 5_000],
    ['okta_token_request_failed', {}, 5_000],
    ['okta_server_error', {}, 2_000],
    ['okta_network', {}, 2_000],
    ['okta_rate_limited', { retryAt: 1_000 + 40_000 }, 40_000],
    ['okta_rate_limited', { retryAt: 500 }, 2_000],
    ['okta_rate_limited', {}, 2_000],
    ['okta_invalid_token', {}, undefined],
  ] as const)('shares a %s failure for %s ms', (code, context, ms) => {
    expect(failureShareMs(new OktaError(code, 'x', context), 1_000, T)).toBe(ms);
  });
});
