import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The API's bearer keys, held only as SHA-256 digests. A presented key is hashed and compared
 * with every digest in constant time (no early exit), so neither timing nor memory reveals keys.
 *
 * Browsers cannot send a bearer header, so the Bull Board and docs pages also accept a session
 * cookie: HMAC-SHA256(key, SESSION_LABEL). It is derived, not stored, so it works on every API
 * replica, reveals nothing about the key, and stops working when the key leaves OKTA_SYNC_API_KEYS.
 */
export interface ApiKeys {
  /** True when `presented` is one of the configured keys. */
  matches(presented: string | undefined): boolean;
  /** True when `presented` is the session cookie of one of the configured keys. */
  matchesSession(presented: string | undefined): boolean;
  /** The session cookie value for a key (call only after `matches(key)`). */
  sessionFor(key: string): string;
}

const SESSION_LABEL = 'okta-sync browser session v1';

export function createApiKeys(keys: readonly string[]): ApiKeys {
  const keyDigests = keys.map(sha256);
  const sessionDigests = keys.map((k) => sha256(sessionOf(k)));
  return {
    matches: (presented) => anyEqual(keyDigests, presented),
    matchesSession: (presented) => anyEqual(sessionDigests, presented),
    sessionFor: sessionOf,
  };
}

function sessionOf(key: string): string {
  return createHmac('sha256', key).update(SESSION_LABEL).digest('base64url');
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

function anyEqual(digests: readonly Buffer[], presented: string | undefined): boolean {
  if (presented === undefined || presented.length === 0) return false;
  const candidate = sha256(presented);
  let found = false;
  for (const digest of digests) found = timingSafeEqual(digest, candidate) || found;
  return found;
}
