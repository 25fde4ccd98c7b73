import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * The API's bearer keys, held only as SHA-256 digests. A presented key is hashed and compared
 * with every digest in constant time (no early exit), so neither timing nor memory reveals keys.
 * A key's fingerprint (its digest, hex) is what a browser session records, so a session stops
 * working when its key leaves OKTA_SYNC_API_KEYS.
 */
export interface ApiKeys {
  /** True when `presented` is one of the configured keys. */
  matches(presented: string | undefined): boolean;
  /** The fingerprint of a key (call only after `matches(key)`). */
  fingerprint(key: string): string;
  /** True when `fingerprint` is that of a key still configured. */
  knows(fingerprint: string): boolean;
}

export function createApiKeys(keys: readonly string[]): ApiKeys {
  const keyDigests = keys.map(sha256);
  return {
    matches: (presented) => presented !== undefined && presented.length > 0 && anyEqual(keyDigests, sha256(presented)),
    fingerprint: (key) => sha256(key).toString('hex'),
    knows: (fingerprint) => /^[0-9a-f]{64}$/.test(fingerprint) && anyEqual(keyDigests, Buffer.from(fingerprint, 'hex')),
  };
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

function anyEqual(digests: readonly Buffer[], candidate: Buffer): boolean {
  let found = false;
  for (const digest of digests) found = timingSafeEqual(digest, candidate) || found;
  return found;
}
