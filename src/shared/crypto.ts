import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { ConfigError, OktaSyncError } from './errors.js';

/**
 * Credential encryption: AES-256-GCM with a keyring. The first key encrypts; every key decrypts.
 * Ciphertext format: `v1.<kid>.<iv b64url>.<tag b64url>.<data b64url>` so a rotation can find the
 * key that wrote a value. Associated data binds a ciphertext to its purpose and tenant, so a
 * value copied to another tenant's record fails to decrypt.
 */
export interface Keyring {
  /** Key ids in order; the first encrypts. */
  readonly kids: readonly string[];
  encrypt(plaintext: string, context: string): string;
  decrypt(ciphertext: string, context: string): string;
  /** The key id a ciphertext was written with. */
  kidOf(ciphertext: string): string;
}

const VAR = 'OKTA_SYNC_ENCRYPTION_KEYS';

export function parseKeyring(spec: string | undefined): Keyring {
  if (spec === undefined || spec.trim() === '') {
    throw new ConfigError(VAR, 'is required (kid:base64-32-bytes[,kid2:…]); generate one with: okta-sync keys generate');
  }
  const keys = new Map<string, Buffer>();
  for (const part of spec.split(',')) {
    const [kid, b64, extra] = part.trim().split(':');
    if (!kid || !b64 || extra !== undefined || !/^[A-Za-z0-9_-]{1,32}$/.test(kid)) {
      throw new ConfigError(VAR, 'each entry must be kid:base64 with a kid of letters, digits, "_" or "-"');
    }
    const key = Buffer.from(b64, 'base64');
    if (key.length !== 32) throw new ConfigError(VAR, `key "${kid}" must decode to exactly 32 bytes`);
    if (keys.has(kid)) throw new ConfigError(VAR, `key id "${kid}" appears twice`);
    keys.set(kid, key);
  }
  return createKeyring(keys);
}

/** A fresh random key spec, for the demo and `okta-sync keys generate`. */
export function generateKeySpec(kid = `k${Date.now().toString(36)}`): string {
  return `${kid}:${randomBytes(32).toString('base64')}`;
}

function createKeyring(keys: Map<string, Buffer>): Keyring {
  const kids = [...keys.keys()];
  const primary = kids[0];
  if (primary === undefined) throw new ConfigError(VAR, 'holds no key');
  return {
    kids,
    encrypt(plaintext, context) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', keys.get(primary)!, iv);
      cipher.setAAD(Buffer.from(context));
      const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return ['v1', primary, b64u(iv), b64u(cipher.getAuthTag()), b64u(data)].join('.');
    },
    decrypt(ciphertext, context) {
      const [version, kid, iv, tag, data] = ciphertext.split('.');
      const key = kid === undefined ? undefined : keys.get(kid);
      if (version !== 'v1' || !iv || !tag || data === undefined) {
        throw new OktaSyncError('decrypt_failed', 'ciphertext is malformed');
      }
      if (!key) throw new OktaSyncError('decrypt_failed', `no key "${kid}" in the keyring`);
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
        decipher.setAAD(Buffer.from(context));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
      } catch (cause) {
        throw new OktaSyncError('decrypt_failed', 'ciphertext failed authentication', { cause });
      }
    },
    kidOf(ciphertext) {
      return ciphertext.split('.')[1] ?? '';
    },
  };
}

function b64u(buf: Buffer): string {
  return buf.toString('base64url');
}
