import { describe, expect, it } from 'vitest';
import { isOktaError } from '../../src/shared/okta/okta-errors.js';
import { isPollingQuery, nextPageUrl, sameCursor } from '../../src/shared/okta/pagination.js';

const O = 'https://acme.okta.com';
const link = (url: string) => `<${url}>; rel="next"`;

describe('nextPageUrl', () => {
  it.each<[string, string, string | string[] | undefined, number, string | null]>([
    ['no Link: the end', `${O}/api/v1/users?limit=200`, undefined, 200, null],
    ['only self: the end', `${O}/api/v1/users?limit=200`, `<${O}/api/v1/users?limit=200>; rel="self"`, 200, null],
    ['follows next exactly, byte for byte', `${O}/api/v1/users?limit=200`, [`<${O}/api/v1/users?limit=200>; rel="self"`, link(`${O}/api/v1/users?after=00u1%2Bx&limit=200`)], 200, `${O}/api/v1/users?after=00u1%2Bx&limit=200`],
    ['a new cursor after an old one', `${O}/api/v1/users?after=a`, link(`${O}/api/v1/users?after=b`), 200, `${O}/api/v1/users?after=b`],
    ['a relative link is resolved against the request', `${O}/api/v1/users?after=a`, link('/api/v1/users?after=b'), 10, `${O}/api/v1/users?after=b`],
    ['an empty polling page may repeat its cursor (the caller stops there)', `${O}/api/v1/logs?since=x&after=c`, link(`${O}/api/v1/logs?since=x&after=c`), 0, `${O}/api/v1/logs?since=x&after=c`],
    ['a polling page with events and a new cursor', `${O}/api/v1/logs?since=x&after=c`, link(`${O}/api/v1/logs?since=x&after=d`), 5, `${O}/api/v1/logs?since=x&after=d`],
  ])('%s', (_name, request, header, count, expected) => {
    expect(nextPageUrl(new URL(request), header, count)).toBe(expected);
  });

  it.each<[string, string, string, number, string]>([
    ['the same URL twice', `${O}/api/v1/users?after=a&limit=200`, `${O}/api/v1/users?after=a&limit=200`, 200, 'okta_pagination_loop'],
    ['the same cursor with other parameters reordered', `${O}/api/v1/users?after=a&limit=200`, `${O}/api/v1/users?limit=200&after=a`, 200, 'okta_pagination_loop'],
    ['a non-empty polling page that repeats its cursor', `${O}/api/v1/logs?since=x&after=c`, `${O}/api/v1/logs?since=x&after=c`, 3, 'okta_pagination_loop'],
    ['an empty page of a bounded log query that repeats its cursor', `${O}/api/v1/logs?until=y&after=c`, `${O}/api/v1/logs?until=y&after=c`, 0, 'okta_pagination_loop'],
    ['an empty users page that repeats its cursor', `${O}/api/v1/users?after=a`, `${O}/api/v1/users?after=a`, 0, 'okta_pagination_loop'],
    ['a next link to another origin', `${O}/api/v1/users`, 'https://evil.example/api/v1/users?after=a', 200, 'okta_bad_response'],
    ['a next link to another port', `${O}/api/v1/users`, 'https://acme.okta.com:8443/api/v1/users?after=a', 200, 'okta_bad_response'],
    ['a next link downgraded to http', `${O}/api/v1/users`, 'http://acme.okta.com/api/v1/users?after=a', 200, 'okta_bad_response'],
  ])('refuses %s', (_name, request, next, count, code) => {
    let error: unknown;
    try {
      nextPageUrl(new URL(request), link(next), count);
    } catch (e) {
      error = e;
    }
    expect(isOktaError(error)).toBe(true);
    expect((error as { code: string }).code).toBe(code);
  });
});

describe('sameCursor', () => {
  it.each<[string, string, boolean]>([
    [`${O}/u?after=a`, `${O}/u?after=a`, true],
    [`${O}/u?after=a&limit=5`, `${O}/u?limit=10&after=a`, true],
    [`${O}/u?after=a`, `${O}/u?after=b`, false],
    [`${O}/u`, `${O}/u?after=a`, false],
    [`${O}/u?after=a`, `${O}/v?after=a`, false],
  ])('%s then %s: %s', (a, b, expected) => {
    expect(sameCursor(new URL(a), new URL(b))).toBe(expected);
  });
});

describe('isPollingQuery', () => {
  it.each<[string, boolean]>([
    [`${O}/api/v1/logs?since=2026-01-01T00:00:00Z`, true],
    [`${O}/api/v1/logs`, true],
    [`${O}/api/v1/logs?since=a&until=b`, false],
    [`${O}/api/v1/users`, false],
  ])('%s: %s', (url, expected) => {
    expect(isPollingQuery(url)).toBe(expected);
  });
});
