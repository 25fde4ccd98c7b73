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
    ['2130706433'],
    ['0x7f000001'],
    ['[::ffff:a9fe:a9fe]'],
    ['::1'],
    ['acme.okta.com@evil.com'],
    ['user:pass@acme.okta.com'],
    ['evil.com\\.okta.com'],
    ['evil.com/.okta.com'],
    ['acme．okta．com'],
    ['acme.okta.com\u0000'],
    ['acme-okta.com'],
    ['acme.xn--okta-x8a.com'],
    ['-acme.okta.com'],
    [`${'a'.repeat(64)}.okta.com`],
  ])('refuses %s', (input) => {
    expect(() => parseOktaDomain(input, strict)).toThrow(ValidationError);
  });

  it('accepts loopback only with the development flag, over http', () => {
    expect(parseOktaDomain('127.0.0.1:8080', dev).origin).toBe('http://127.0.0.1:8080');
    expect(parseOktaDomain('localhost:9', dev).origin).toBe('http://127.0.0.1:9');
    expect(() => parseOktaDomain('169.254.169.254', dev)).toThrow(ValidationError);
    for (const input of ['127.0.0.1', 'localhost', '127.0.0.2:80', '127.0.0.1:0', 'localhost:99999', '0.0.0.0:80', '[::1]:80']) {
      expect(() => parseOktaDomain(input, dev), input).toThrow(ValidationError);
    }
  });

  it('names the field and the reason, never echoing the input', () => {
    try {
      parseOktaDomain('user@evil.example', strict);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      const fields = (error as ValidationError).fields;
      expect(Object.keys(fields)).toEqual(['oktaDomain']);
      expect(fields.oktaDomain).not.toContain('evil');
    }
  });
});
