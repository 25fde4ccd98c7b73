import { describe, expect, it } from 'vitest';
import { errorFromApiResponse, parseChallenge } from '../../src/shared/okta/okta-error-from-response.js';
import { OKTA_ERROR_CODES, OktaError, isTransient, wantsSmallerPage } from '../../src/shared/okta/okta-errors.js';
import type { OktaResponse } from '../../src/shared/okta/okta-http.js';

const body = (errorCode: string, errorSummary = 'summary', errorId = 'oae123') => JSON.stringify({ errorCode, errorSummary, errorLink: errorCode, errorId, errorCauses: [] });
const res = (status: number, text = '', headers: OktaResponse['headers'] = {}): OktaResponse => ({ status, body: text, headers });
const bearer = (error: string, extra = '') =>
  `Bearer authorization_uri="https://a.okta.com/oauth2/v1/authorize", realm="https://a.okta.com", scope="okta.users.read", error="${error}", error_description="The thing.${extra}", resource="/api/v1/users"`;
const rate = (limit: string, remaining: string, reset: string) => ({ 'x-rate-limit-limit': limit, 'x-rate-limit-remaining': remaining, 'x-rate-limit-reset': reset });

describe('errorFromApiResponse', () => {
  it.each<[string, OktaResponse, number | undefined, string, Record<string, unknown>]>([
    ['429 E0000047 with a reset', res(429, body('E0000047'), rate('600', '0', '2000000000')), undefined, 'okta_rate_limited', { status: 429, oktaCode: 'E0000047', errorId: 'oae123' }],
    ['429 with limit 0 / remaining 0 is the concurrency limit', res(429, body('E0000047'), rate('0', '0', '2000000000')), undefined, 'okta_concurrency_limited', { status: 429 }],
    ['429 without rate headers', res(429, body('E0000047')), undefined, 'okta_rate_limited', { status: 429 }],
    ['401 E0000011 invalid_token', res(401, body('E0000011'), { 'www-authenticate': bearer('invalid_token') }), undefined, 'okta_invalid_token', { oktaCode: 'E0000011' }],
    ['401 with a challenge and no body', res(401, '', { 'www-authenticate': bearer('invalid_token') }), undefined, 'okta_invalid_token', { oktaCode: 'invalid_token' }],
    ['400 DPoP invalid_dpop_proof with no body (API call)', res(400, '', { 'www-authenticate': 'DPoP algs="RS256 ES256", error="invalid_dpop_proof", error_description="bad iat"' }), undefined, 'okta_invalid_dpop_proof', { status: 400, oktaCode: 'invalid_dpop_proof' }],
    ['401 DPoP invalid_dpop_proof is not a bad token', res(401, body('E0000011'), { 'www-authenticate': 'DPoP algs="RS256 ES256", error="invalid_dpop_proof", error_description="bad iat"' }), undefined, 'okta_invalid_dpop_proof', {}],
    ['401 DPoP use_dpop_nonce', res(401, '', { 'www-authenticate': 'DPoP error="use_dpop_nonce"', 'dpop-nonce': 'n1' }), undefined, 'okta_use_dpop_nonce', { oktaCode: 'use_dpop_nonce' }],
    ['403 insufficient_scope with no body', res(403, '', { 'www-authenticate': bearer('insufficient_scope') }), undefined, 'okta_insufficient_scope', { scopes: ['okta.users.read'], oktaCode: 'insufficient_scope' }],
    ['403 E0000006 (no admin role)', res(403, body('E0000006')), undefined, 'okta_insufficient_scope', { oktaCode: 'E0000006' }],
    ['404 E0000007', res(404, body('E0000007')), undefined, 'okta_not_found', { oktaCode: 'E0000007' }],
    ['400 E0000001', res(400, body('E0000001')), undefined, 'okta_bad_request', { oktaCode: 'E0000001' }],
    ['405', res(405, body('E0000022')), undefined, 'okta_bad_request', {}],
    ['500 on a 200-item page', res(500, body('E0000009')), 200, 'okta_page_too_large', { status: 500 }],
    ['500 on a 20-item page', res(500, body('E0000009')), 20, 'okta_server_error', { status: 500 }],
    ['500 without a limit', res(500, body('E0000009')), undefined, 'okta_server_error', {}],
    ['503 E0000010 read-only mode on a large page', res(503, body('E0000010')), 200, 'okta_server_error', { oktaCode: 'E0000010' }],
    ['502 with an HTML body', res(502, '<html>bad gateway</html>'), undefined, 'okta_server_error', { status: 502 }],
    ['408', res(408, ''), undefined, 'okta_server_error', {}],
    ['301 redirect', res(301, '', { location: 'https://evil.example/' }), undefined, 'okta_redirect', { status: 301 }],
    ['307 redirect', res(307, ''), undefined, 'okta_redirect', {}],
    ['a JSON body that is not an object', res(400, '"just a string"'), undefined, 'okta_bad_request', {}],
  ])('%s', (_name, response, limit, code, context) => {
    const error = errorFromApiResponse(response, '/api/v1/users', limit);
    expect(error).toBeInstanceOf(OktaError);
    expect(error.code).toBe(code);
    expect(error.context).toMatchObject({ path: '/api/v1/users', ...context });
    expect(error.message).toContain('/api/v1/users');
  });

  it('puts the reset read against the response Date into retryAt, or the caller’s better reading', () => {
    const now = Date.now();
    const date = new Date(now).toUTCString();
    const reset = String(Math.floor(now / 1000) + 30);
    const e = errorFromApiResponse(res(429, body('E0000047'), { ...rate('600', '0', reset), date }), '/api/v1/users');
    expect(e.context.retryAt).toBeGreaterThan(now + 28_000);
    expect(e.context.retryAt).toBeLessThan(now + 32_000);
    expect(errorFromApiResponse(res(429, '', rate('600', '0', reset)), '/p', undefined, 1234).context.retryAt).toBe(1234);
  });

  it('names the missing scope, and never echoes headers or tokens', () => {
    const e = errorFromApiResponse(res(403, '', { 'www-authenticate': bearer('insufficient_scope'), authorization: 'Bearer SECRET' }), '/api/v1/users');
    expect(e.message).toBe('missing scope okta.users.read for /api/v1/users');
    expect(JSON.stringify(e.context)).not.toContain('SECRET');
    const e401 = errorFromApiResponse(res(401, body('E0000011'), { 'www-authenticate': bearer('invalid_token') }), '/api/v1/users');
    expect(e401.message).toBe('access token rejected on /api/v1/users: The thing.');
  });
});

describe('parseChallenge', () => {
  it.each<[string | string[] | undefined, Record<string, string>]>([
    [undefined, {}],
    ['Bearer error="invalid_token", error_description="The token has expired."', { scheme: 'Bearer', error: 'invalid_token', error_description: 'The token has expired.' }],
    ['DPoP algs="RS256 ES256", error=invalid_dpop_proof', { scheme: 'DPoP', algs: 'RS256 ES256', error: 'invalid_dpop_proof' }],
    ['Bearer error_description="a \\"quoted\\" word, and a comma", Error="x"', { scheme: 'Bearer', error_description: 'a "quoted" word, and a comma', error: 'x' }],
    [['Bearer realm="a"', 'DPoP error="use_dpop_nonce"'], { scheme: 'Bearer', realm: 'a', error: 'use_dpop_nonce' }],
  ])('%j', (header, expected) => {
    expect(parseChallenge(header)).toEqual(expected);
  });
});

describe('error classes', () => {
  it.each(OKTA_ERROR_CODES.map((c) => [c]))('%s is classified', (code) => {
    const e = new OktaError(code, 'x');
    const transient = [
      'okta_server_error',
      'okta_network',
      'okta_bad_response',
      'okta_page_too_large',
      'okta_response_too_large',
      'okta_invalid_dpop_proof',
      'okta_use_dpop_nonce',
    ].includes(code);
    expect(isTransient(e)).toBe(transient);
    expect(wantsSmallerPage(e)).toBe(code === 'okta_page_too_large' || code === 'okta_response_too_large');
  });
});
