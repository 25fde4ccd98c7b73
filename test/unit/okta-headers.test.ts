import { describe, expect, it } from 'vitest';
import { nextLink } from '../../src/shared/okta/link-header.js';
import { MAX_RESET_AHEAD_MS, RESET_SKEW_MS, ServerClock, clampReset, readRateLimit } from '../../src/shared/okta/rate-limit-headers.js';

describe('nextLink', () => {
  it.each<[string | string[] | undefined, string | null]>([
    [undefined, null],
    ['', null],
    ['<https://a.okta.com/api/v1/users?limit=200>; rel="self"', null],
    [['<https://a/u?x=1>; rel="self"', '<https://a/u?after=abc>; rel="next"'], 'https://a/u?after=abc'],
    ['<https://a/u?after=1>; title="next"; rel="self"', null],
    ['<https://a/u?after=1>; rel="self", <https://a/u?after=2>; type="x"; rel="next"', 'https://a/u?after=2'],
    ['<https://a/u?x=1>; rel="self", <https://a/u?after=b%20c>; rel="next"', 'https://a/u?after=b%20c'],
    ['<https://a/u?after=z>; rel=next', 'https://a/u?after=z'],
    ['<https://a/u?after=z>; rel="prev next"', 'https://a/u?after=z'],
    ['<https://a/u?after=z>;rel="NEXT"', 'https://a/u?after=z'],
    ['<https://a/u?after=z>; rel="nextpage"', null],
    ['<https://a/u?q=a,b&after=y>; rel="next"', 'https://a/u?q=a,b&after=y'],
  ])('reads %j', (header, expected) => {
    expect(nextLink(header)).toBe(expected);
  });
});

const headers = (limit: string, remaining: string, reset: string, date?: string) => ({
  'x-rate-limit-limit': limit,
  'x-rate-limit-remaining': remaining,
  'x-rate-limit-reset': reset,
  ...(date === undefined ? {} : { date }),
});

describe('readRateLimit', () => {
  it('computes the reset against the response Date, not the local clock', () => {
    const serverNow = Date.parse('2026-01-01T00:00:00Z');
    const localNow = serverNow + 120_000; // our clock runs 2 minutes ahead
    const r = readRateLimit(headers('600', '10', String(serverNow / 1000 + 30), new Date(serverNow).toUTCString()), localNow);
    expect(r).toEqual({ limit: 600, remaining: 10, resetAtMs: localNow + 30_000 + RESET_SKEW_MS });
  });

  it('prefers the server clock estimate to a single Date header', () => {
    const clock = new ServerClock();
    clock.observe(new Date(5_000_000).toUTCString(), 1_000, 1_010); // offset in [4_998_990, 4_999_990]
    const r = readRateLimit(headers('100', '1', '5010', new Date(9_999_000).toUTCString()), 2_000, clock);
    expect(r?.resetAtMs).toBe(5_010_000 - 4_998_990 + RESET_SKEW_MS);
  });

  it('uses the local clock without a Date header, and never puts a reset in the past', () => {
    expect(readRateLimit(headers('100', '1', '1000'), 990_000)?.resetAtMs).toBe(1_000_000 + RESET_SKEW_MS);
    expect(readRateLimit(headers('100', '1', '1000'), 2_000_000)?.resetAtMs).toBe(2_000_000 + RESET_SKEW_MS);
  });

  it('clamps a reset far ahead (X-Rate-Limit-Reset: 9999999999) to two windows', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    const r = readRateLimit(headers('600', '0', '9999999999', new Date(now).toUTCString()), now);
    expect(r?.resetAtMs).toBeLessThanOrEqual(now + MAX_RESET_AHEAD_MS);
    expect(r?.resetAtMs).toBeGreaterThanOrEqual(now + MAX_RESET_AHEAD_MS * 0.9);
    expect(readRateLimit(headers('600', '0', '1e10'), now, undefined, 3_000)?.resetAtMs).toBeLessThanOrEqual(now + 3_000);
  });

  it('takes the first of repeated headers', () => {
    expect(readRateLimit({ 'x-rate-limit-limit': ['50', '60'], 'x-rate-limit-remaining': '1', 'x-rate-limit-reset': '1' }, 0)?.limit).toBe(50);
  });

  it.each([
    [{}],
    [headers('x', '1', '1')],
    [headers('1', '', '1')],
    [headers('1', '1', '-5')],
    [{ 'x-rate-limit-limit': '1', 'x-rate-limit-remaining': '1' }],
  ])('returns undefined for %j', (h) => {
    expect(readRateLimit(h)).toBeUndefined();
  });
});

describe('ServerClock', () => {
  /** A server whose clock is `offset` ms ahead of ours, answering after `latency` ms (Date written halfway). */
  function sample(clock: ServerClock, offset: number, sentAt: number, latency: number) {
    const serverAtWrite = sentAt + latency / 2 + offset;
    clock.observe(new Date(Math.floor(serverAtWrite / 1000) * 1000).toUTCString(), sentAt, sentAt + latency);
  }

  it('knows nothing before a Date, and ignores unparsable ones', () => {
    const clock = new ServerClock();
    expect(clock.offsetMs()).toBeUndefined();
    clock.observe('not a date', 0, 1);
    clock.observe(undefined, 0, 1);
    expect(clock.offsetMs()).toBeUndefined();
  });

  it.each([0, 1_234.5, -987_654.3, 59_999])('narrows from whole-second Dates to about the spacing of requests, never above the truth (offset %d ms)', (offset) => {
    const clock = new ServerClock();
    const start = 1_790_000_000_000;
    // Requests 37 ms apart: some land within 37 ms after a second boundary, which bounds the error.
    for (let i = 0; i < 120; i++) sample(clock, offset, start + i * 37, 6);
    const est = clock.offsetMs()!;
    expect(est).toBeLessThanOrEqual(offset);
    expect(offset - est).toBeLessThan(37 + 6);
    expect(clock.uncertaintyMs()).toBeLessThan(2 * (37 + 6));
  });

  it('one Date pins the offset to about a second, from below', () => {
    const clock = new ServerClock();
    sample(clock, 500, 10_000_700, 10);
    expect(clock.offsetMs()).toBeLessThanOrEqual(500);
    expect(clock.offsetMs()).toBeGreaterThan(500 - 1_011);
  });

  it('follows a clock that was stepped', () => {
    const clock = new ServerClock();
    for (let i = 0; i < 50; i++) sample(clock, 0, 1_000_000 + i * 53, 4);
    for (let i = 0; i < 50; i++) sample(clock, 5_000, 1_010_000 + i * 53, 4);
    expect(clock.offsetMs()).toBeLessThanOrEqual(5_000);
    expect(clock.offsetMs()).toBeGreaterThan(4_990);
  });

  it('a reset the server rounds up to whole seconds is never early on our clock, and at most ~1 s late', () => {
    const clock = new ServerClock();
    const offset = 321;
    const start = 1_790_000_000_000;
    for (let i = 0; i < 60; i++) sample(clock, offset, start + i * 41, 5);
    const now = start + 60 * 41 + 5;
    const windowEndServer = now + offset + 7_345;
    const reading = readRateLimit(headers('100', '5', String(Math.ceil(windowEndServer / 1000))), now, clock)!;
    const endLocal = windowEndServer - offset;
    expect(reading.resetAtMs).toBeGreaterThanOrEqual(endLocal);
    expect(reading.resetAtMs - endLocal).toBeLessThan(1_000 + RESET_SKEW_MS + 10);
  });
});

describe('clampReset', () => {
  it.each([
    ['a reset within the bound is kept', 50_000, 0.5, 50_000],
    ['a reset at the bound is kept', 120_000, 0.5, 120_000],
    ['a reset beyond is clamped, jittered below the bound', 1e13, 0.5, 120_000 - 6_000],
    ['no jitter at random 0', 1e13, 0, 120_000],
    ['the most jitter stays within a tenth', 1e13, 0.999999, 120_000 - 11_999],
  ])('%s', (_name, reset, r, expected) => {
    expect(clampReset(reset, 0, 120_000, () => r)).toBe(expected);
  });
});
