import { describe, expect, it } from 'vitest';
import { checkApiKeys } from '../../src/producer/api/api-key-policy.js';
import { ConfigError } from '../../src/shared/errors.js';

describe('checkApiKeys', () => {
  it.each([
    ['none', []],
    ['one character', ['Q']],
    ['31 characters', ['0123456789abcdef0123456789abcde']],
    ['the k8s template placeholder', ['CHANGE_ME']],
    ['a long changeme', ['changeme-changeme-changeme-changeme-0001']],
    ['a long example', ['an-Example-api-key-that-is-long-enough-0001']],
    ['one repeated character', ['a'.repeat(40)]],
    ['a weak key beside a good one', ['3f1c9a7e5b2d4f6081a3c5e7b9d1f2a4c6e8', 'tiny1']],
  ])('refuses %s naming OKTA_SYNC_API_KEYS, never quoting the key', (_what, keys) => {
    let error: unknown;
    try {
      checkApiKeys(keys);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe('OKTA_SYNC_API_KEYS');
    for (const key of keys) expect((error as Error).message).not.toContain(key);
  });

  it('accepts random keys of 32 characters and more', () => {
    expect(() => checkApiKeys(['3f1c9a7e5b2d4f6081a3c5e7b9d1f2a4', 'k9Xq2LmP7vRt4WzY8bNc3HdF6gJs1Ae5Ku0'])).not.toThrow();
  });
});
