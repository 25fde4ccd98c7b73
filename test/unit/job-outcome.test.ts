import { describe, expect, it } from 'vitest';
import { MAX_ERROR_TEXT_BYTES } from '../../src/shared/clip-text.js';
import { OktaSyncError, PaginationLoopError, ValidationError } from '../../src/shared/errors.js';
import { OktaError } from '../../src/shared/okta/okta-errors.js';
import { MIN_PAGE_LIMIT, RETRY_POLICY, backoffMs, decideOutcome } from '../../src/workers/job-outcome.js';

const now = 1_000_000;
const first = { made: 0, max: 8 };
const last = { made: 7, max: 8 };
const half = () => 0.5;
const failed = (code: string, message: string, credentialsInvalid = false) => ({ kind: 'fail', code, message, credentialsInvalid });

describe('decideOutcome', () => {
  it.each<[string, unknown, { made: number; max: number; pageLimit?: number }, object]>([
    ['429 waits for the reset plus jitter, spending no attempt', new OktaError('okta_rate_limited', 'x', { retryAt: now + 5_000 }), last, { kind: 'delay', until: now + 5_000 + RETRY_POLICY.resetJitterMs / 2, reason: 'rate_limit' }],
    ['our spent budget waits for the window reset', new OktaError('okta_rate_limited', 'x', { retryAt: now + 42_000, throttle: 'window' }), first, { kind: 'delay', until: now + 42_000 + RETRY_POLICY.resetJitterMs / 2, reason: 'rate_limit' }],
    ['a 429 without a reset waits a window', new OktaError('okta_rate_limited', 'x'), first, { kind: 'delay', until: now + RETRY_POLICY.unknownResetMs + RETRY_POLICY.resetJitterMs / 2, reason: 'rate_limit' }],
    ['Okta’s concurrency 429 retries soon with jitter', new OktaError('okta_concurrency_limited', 'x'), last, { kind: 'delay', until: now + 850, reason: 'concurrency' }],
    ['our in-flight cap retries when the budget said', new OktaError('okta_concurrency_limited', 'x', { retryAt: now + 120, throttle: 'in_flight' }), first, { kind: 'delay', until: now + 120, reason: 'concurrency' }],
    ['5xx retries', new OktaError('okta_server_error', 'x'), first, { kind: 'retry', shrinkLimit: false }],
    ['a reset or timeout retries', new OktaError('okta_network', 'x'), first, { kind: 'retry', shrinkLimit: false }],
    ['an unparsable body retries', new OktaError('okta_bad_response', 'x'), first, { kind: 'retry', shrinkLimit: false }],
    ['500 on a big page retries smaller', new OktaError('okta_page_too_large', 'x'), first, { kind: 'retry', shrinkLimit: true }],
    ['an oversize body retries smaller', new OktaError('okta_response_too_large', 'x'), first, { kind: 'retry', shrinkLimit: true }],
    ['5xx on the last attempt fails', new OktaError('okta_server_error', 'boom'), last, failed('okta_server_error', 'boom')],
    ['invalid client fails and marks the tenant', new OktaError('okta_invalid_client', 'bad'), first, failed('okta_invalid_client', 'bad', true)],
    ['a token still rejected after the client’s one refresh fails', new OktaError('okta_invalid_token', 'no'), first, failed('okta_invalid_token', 'no')],
    ['missing scope fails without retry', new OktaError('okta_insufficient_scope', 'scope'), first, failed('okta_insufficient_scope', 'scope')],
    ['404 fails without retry', new OktaError('okta_not_found', 'gone'), first, failed('okta_not_found', 'gone')],
    ['other 4xx fails', new OktaError('okta_bad_request', 'bad'), first, failed('okta_bad_request', 'bad')],
    ['a redirect fails', new OktaError('okta_redirect', 'moved'), first, failed('okta_redirect', 'moved')],
    ['the client’s pagination loop fails as pagination_loop', new OktaError('okta_pagination_loop', 'loop'), first, failed('pagination_loop', 'loop')],
    ['the chain guard’s pagination loop fails', new PaginationLoopError('cycle'), first, failed('pagination_loop', 'cycle')],
    ['an oversize body at the smallest limit fails at once', new OktaError('okta_response_too_large', 'big'), { ...first, pageLimit: MIN_PAGE_LIMIT }, failed('okta_response_too_large', 'big')],
    ['an oversize body above the smallest limit retries smaller', new OktaError('okta_response_too_large', 'big'), { ...first, pageLimit: 20 }, { kind: 'retry', shrinkLimit: true }],
    ['too many items on a page retries (then fails)', new OktaError('okta_bad_response', 'items'), first, { kind: 'retry', shrinkLimit: false }],
    ['undecryptable credentials fail', new OktaSyncError('decrypt_failed', 'key'), first, failed('decrypt_failed', 'key')],
    ['invalid job data fails', new ValidationError('bad job'), first, failed('validation_failed', 'bad job')],
    ['unknown errors retry', new Error('SQLITE_BUSY'), first, { kind: 'retry', shrinkLimit: false }],
    ['unknown errors fail on the last attempt', new Error('SQLITE_BUSY'), last, failed('internal_error', 'SQLITE_BUSY')],
  ])('%s', (_name, error, attempt, expected) => {
    expect(decideOutcome(error, attempt, now, half)).toEqual(expected);
  });

  it.each([
    ['an Okta error', new OktaError('okta_bad_request', 'x'.repeat(8 * 1024 * 1024))],
    ['an unknown error', new Error('é'.repeat(4 * 1024 * 1024))],
  ])('a failure’s message is at most 2 KiB (%s)', (_name, error) => {
    const o = decideOutcome(error, last, now, half) as { kind: string; message: string };
    expect(o.kind).toBe('fail');
    expect(Buffer.byteLength(o.message)).toBeLessThanOrEqual(MAX_ERROR_TEXT_BYTES);
    expect(o.message.endsWith('(truncated)')).toBe(true);
  });

  it.each([
    ['a rate limit', new OktaError('okta_rate_limited', 'x', { retryAt: now - 10_000 })],
    ['our in-flight cap', new OktaError('okta_concurrency_limited', 'x', { retryAt: now - 10 })],
  ])('never delays into the past (%s)', (_name, error) => {
    const o = decideOutcome(error, first, now, () => 0);
    expect(o).toMatchObject({ kind: 'delay', until: now });
  });

  it('jitter after a reset stays within resetJitterMs', () => {
    const e = new OktaError('okta_rate_limited', 'x', { retryAt: now });
    const until = (r: number) => (decideOutcome(e, first, now, () => r) as { until: number }).until;
    expect(until(0)).toBe(now);
    expect(until(0.999999)).toBe(now + RETRY_POLICY.resetJitterMs - 1);
  });
});

describe('backoffMs', () => {
  it.each([
    [1, 1, RETRY_POLICY.baseMs - 1],
    [2, 1, 2 * RETRY_POLICY.baseMs - 1],
    [3, 1, 4 * RETRY_POLICY.baseMs - 1],
    [30, 1, RETRY_POLICY.capMs - 1],
    [1_000, 1, RETRY_POLICY.capMs - 1],
    [5, 0, 0],
  ])('attempt %i with random %f stays under the ceiling', (attempt, r, max) => {
    expect(backoffMs(attempt, () => r * 0.999999)).toBeLessThanOrEqual(max);
  });

  it('is full jitter: uniform from 0 to the ceiling', () => {
    expect(backoffMs(4, () => 0)).toBe(0);
    expect(backoffMs(4, () => 0.5)).toBe(4 * RETRY_POLICY.baseMs);
  });
});
