import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/shared/errors.js';
import { parseOktaDomain } from '../../src/shared/okta/okta-domain.js';

const strict = { allowInsecureLoopback: false, customDomains: ['login.acme.example'] };
const dev = { ...strict, allowInsecureLoopback: true };

describe('parseOktaDomain', () => {
  it.each([
    ['acme.okta.com', 'https://acme.okta.com'],
    ['ACME.okta.com', 'https://acme.okta.com'],
    ['dev-123456.oktapreview.com', 'https://dev-123456.oktapreview.com'],
    ['acme.okta-emea.com', 'https://acme.okta-emea.com'],
    ['acme.okta-gov.com', 'https://acme.okta-gov.com'],
    ['acme.okta.mil', 'https://acme.okta.mil'],
    ['login.acme.example', 'https://login.acme.example'],
  ])('accepts %s', (input, origin) => {
    expect(parseOktaDomain(input, strict).origin).toBe(origin);
  });

  it.each([
    ['169.254.169.254'],
    ['127.0.0.1:8080'],
    ['localhost:8080'],
    ['http://acme.okta.com'],
    ['https://acme.okta.com'],
    ['user@acme.okta.com'],
    ['acme.okta.com/path'],
    ['acme.okta.com:8443'],
    ['[::1]'],
    ['[fd00::1]:443'],
    ['acme.okta.com.evil.com'],
    ['evil.com'],
    ['okta.com'],
    ['a.b.okta.com'],
    ['xn--okta-x8a.okta.com'],
    ['acme.оkta.com'],
    ['acme.okta.com.'],
    ['acme.okta.com?x=1'],
    ['acme.okta.com#f'],
    [''],
  ])('refuses %s', (input) => {
    expect(() => parseOktaDomain(input, strict)).toThrow(ValidationError);
  });

  it('accepts loopback only with the development flag, over http', () => {
    expect(parseOktaDomain('127.0.0.1:8080', dev).origin).toBe('http://127.0.0.1:8080');
    expect(parseOktaDomain('localhost:9', dev).origin).toBe('http://127.0.0.1:9');
    expect(() => parseOktaDomain('169.254.169.254', dev)).toThrow(ValidationError);
  });
});
