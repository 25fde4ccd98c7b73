import { describe, expect, it } from 'vitest';
import { backoffMs, decideOutcome, RETRY_POLICY } from '../../src/workers/job-outcome.js';
import { OktaError } from '../../src/shared/okta/okta-errors.js';

const now = 1_000_000;
const first = { made: 0, max: 8 };
const last = { made: 7, max: 8 };
const half = () => 0.5;

describe('decideOutcome', () => {
  it.each([
    ['rate limit waits for the reset plus jitter', new OktaError('okta_rate_limited', 'x', { retryAt: now + 5_000 }), first, { kind: 'delay', until: now + 5_000 + RETRY_POLICY.resetJitterMs / 2, reason: 'rate_limit' }],
    ['concurrency 429 retries soon', new OktaError('okta_concurrency_limited', 'x'), first, { kind: 'delay', until: now + 850, reason: 'concurrency' }],
    ['5xx retries', new OktaError('okta_server_error', 'x'), first, { kind: 'retry', shrinkLimit: false }],
    ['network retries', new OktaError('okta_network', 'x'), first, { kind: 'retry', shrinkLimit: false }],
    ['big page shrinks', new OktaError('okta_page_too_large', 'x'), first, { kind: 'retry', shrinkLimit: true }],
    ['5xx on the last attempt fails', new OktaError('okta_server_error', 'boom'), last, { kind: 'fail', code: 'okta_server_error', message: 'boom', credentialsInvalid: false }],
    ['invalid client fails and marks the tenant', new OktaError('okta_invalid_client', 'bad'), first, { kind: 'fail', code: 'okta_invalid_client', message: 'bad', credentialsInvalid: true }],
    ['missing scope fails without retry', new OktaError('okta_insufficient_scope', 'scope'), first, { kind: 'fail', code: 'okta_insufficient_scope', message: 'scope', credentialsInvalid: false }],
    ['other 4xx fails', new OktaError('okta_bad_request', 'bad'), first, { kind: 'fail', code: 'okta_bad_request', message: 'bad', credentialsInvalid: false }],
    ['unknown errors retry', new Error('SQLITE_BUSY'), first, { kind: 'retry', shrinkLimit: false }],
  ])('%s', (_name, error, attempt, expected) => {
    expect(decideOutcome(error, attempt, now, half)).toEqual(expected);
  });

  it('never delays into the past', () => {
    const o = decideOutcome(new OktaError('okta_rate_limited', 'x', { retryAt: now - 10_000 }), first, now, () => 0);
    expect(o).toEqual({ kind: 'delay', until: now, reason: 'rate_limit' });
  });
});

describe('backoffMs', () => {
  it.each([
    [1, 1, RETRY_POLICY.baseMs - 1],
    [3, 1, 4 * RETRY_POLICY.baseMs - 1],
    [30, 1, RETRY_POLICY.capMs - 1],
    [5, 0, 0],
  ])('attempt %i with random %f stays under the ceiling', (attempt, r, max) => {
    expect(backoffMs(attempt, () => r * 0.999999)).toBeLessThanOrEqual(max);
  });
});
