import { describe, expect, it } from 'vitest';
import { asTenantId } from '../../src/shared/ids.js';
import { isHookEventType } from '../../src/shared/okta/event-hook-types.js';
import { newHookSecret, secretMatches } from '../../src/producer/event-hooks/event-hook-secret.js';
import { hookUri } from '../../src/producer/event-hooks/hook-uri.js';

const acme = asTenantId('acme');

describe('hookUri', () => {
  it.each([
    ['https://sync.example.com', false, 'https://sync.example.com/v1/hooks/okta/acme'],
    ['https://sync.example.com/', false, 'https://sync.example.com/v1/hooks/okta/acme'],
    ['https://example.com/okta-sync//', false, 'https://example.com/okta-sync/v1/hooks/okta/acme'],
    ['https://sync.example.com:8443', false, 'https://sync.example.com:8443/v1/hooks/okta/acme'],
    ['http://127.0.0.1:3000', true, 'http://127.0.0.1:3000/v1/hooks/okta/acme'],
    ['http://localhost:3000', true, 'http://localhost:3000/v1/hooks/okta/acme'],
  ])('%s (insecure loopback %s) → %s', (url, loopback, expected) => {
    expect(hookUri(url, acme, loopback)).toBe(expected);
  });

  it.each([
    ['http://sync.example.com', true],
    ['http://127.0.0.1:3000', false],
    ['ftp://sync.example.com', true],
    ['https://user:pw@sync.example.com', false],
    ['https://sync.example.com/?a=1', false],
    ['https://sync.example.com/#x', false],
    ['sync.example.com', false],
    ['', false],
  ])('refuses %s (insecure loopback %s) as bad usage', (url, loopback) => {
    expect(() => hookUri(url, acme, loopback)).toThrow(/--public-url/);
  });
});

describe('hook secrets and event types', () => {
  it('makes distinct 256-bit secrets and compares them exactly', () => {
    const [a, b] = [newHookSecret(), newHookSecret()];
    expect(a).not.toBe(b);
    expect(a).toMatch(/^okhs_[A-Za-z0-9_-]{43}$/);
    expect(secretMatches(a, a)).toBe(true);
    expect(secretMatches(b, a)).toBe(false);
    expect(secretMatches(`${a} `, a)).toBe(false);
    expect(secretMatches(a.slice(0, -1), a)).toBe(false);
    expect(secretMatches('', a)).toBe(false);
    expect(secretMatches(undefined, a)).toBe(false);
  });

  it.each([
    ['user.account.update_profile', true],
    ['group.user_membership.remove', true],
    ['application.lifecycle.delete', true],
    ['user.lifecycle.delete.completed', false],
    ['user.session.start', false],
  ])('%s is subscribed: %s', (type, expected) => {
    expect(isHookEventType(type)).toBe(expected);
  });
});
