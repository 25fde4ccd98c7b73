import { describe, expect, it } from 'vitest';
import { nextLink } from '../../src/shared/okta/link-header.js';
import { readRateLimit, RESET_SKEW_MS } from '../../src/shared/okta/rate-limit-headers.js';

describe('nextLink', () => {
  it.each<[string | string[] | undefined, string | null]>([
    [undefined, null],
    ['<https://a.okta.com/api/v1/users?limit=200>; rel="self"', null],
    [['<https://a/u?x=1>; rel="self"', '<https://a/u?after=abc>; rel="next"'], 'https://a/u?after=abc'],
    ['<https://a/u?x=1>; rel="self", <https://a/u?after=b%20c>; rel="next"', 'https://a/u?after=b%20c'],
    ['<https://a/u?after=z>; rel=next', 'https://a/u?after=z'],
  ])('reads %j', (header, expected) => {
    expect(nextLink(header)).toBe(expected);
  });
});

describe('readRateLimit', () => {
  it('computes the reset against the response Date, not the local clock', () => {
    const serverNow = Date.parse('2026-01-01T00:00:00Z');
    const localNow = serverNow + 120_000; // our clock runs 2 minutes ahead
    const r = readRateLimit(
      { 'x-rate-limit-limit': '600', 'x-rate-limit-remaining': '10', 'x-rate-limit-reset': String(serverNow / 1000 + 30), date: new Date(serverNow).toUTCString() },
      localNow,
    );
    expect(r).toEqual({ limit: 600, remaining: 10, resetAtMs: localNow + 30_000 + RESET_SKEW_MS });
  });

  it.each([[{}], [{ 'x-rate-limit-limit': 'x', 'x-rate-limit-remaining': '1', 'x-rate-limit-reset': '1' }]])('returns undefined for %j', (h) => {
    expect(readRateLimit(h)).toBeUndefined();
  });
});
