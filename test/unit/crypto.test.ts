import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateKeySpec, parseKeyring } from '../../src/shared/crypto.js';
import { ConfigError } from '../../src/shared/errors.js';

const key = (kid: string) => `${kid}:${randomBytes(32).toString('base64')}`;

describe('keyring', () => {
  it('round-trips and binds ciphertext to its context', () => {
    const ring = parseKeyring(generateKeySpec('a'));
    const ct = ring.encrypt('s3cret-value', 'tenant-1');
    expect(ct).not.toContain('s3cret');
    expect(ring.decrypt(ct, 'tenant-1')).toBe('s3cret-value');
    expect(() => ring.decrypt(ct, 'tenant-2')).toThrow(/authentication/);
  });

  it('encrypts with the first key and decrypts with any (rotation)', () => {
    const oldKey = key('old');
    const newKey = key('new');
    const before = parseKeyring(oldKey).encrypt('v', 'c');
    const rotated = parseKeyring(`${newKey},${oldKey}`);
    expect(rotated.decrypt(before, 'c')).toBe('v');
    expect(rotated.kidOf(rotated.encrypt('v', 'c'))).toBe('new');
    expect(() => parseKeyring(newKey).decrypt(before, 'c')).toThrow(/no key "old"/);
  });

  it('detects tampering', () => {
    const ring = parseKeyring(key('k'));
    const parts = ring.encrypt('value', 'c').split('.');
    parts[4] = Buffer.from('other').toString('base64url');
    expect(() => ring.decrypt(parts.join('.'), 'c')).toThrow();
  });

  it.each([[''], ['nokey'], ['k:short'], [`bad kid:${randomBytes(32).toString('base64')}`], [`${key('a')},${key('a').replace(/:.*/, ':')}${randomBytes(32).toString('base64')}`]])(
    'rejects malformed spec %#',
    (spec) => {
      expect(() => parseKeyring(spec)).toThrow(ConfigError);
    },
  );
});
