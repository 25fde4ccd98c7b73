import { createHash, randomBytes } from 'node:crypto';
import { keyPrefix, type Redis } from '../../shared/redis.js';
import type { ApiKeys } from './api-keys.js';

/** How long a browser session lives, 8 hours. */
export const SESSION_MAX_AGE_S = 8 * 3600;

/**
 * Browser sessions for the Bull Board and docs pages: a random token per login, kept server-side
 * in Redis as `{prefix}:session:<sha256(token)>` → the fingerprint of the API key that logged in,
 * with a TTL. Every API replica sees every session; a session ends when its TTL runs out, when its
 * key leaves OKTA_SYNC_API_KEYS, or when its Redis key is deleted (revoke all: delete
 * `{prefix}:session:*`). Redis holds only a hash of the token, so a Redis dump logs no one in.
 */
export interface BrowserSessions {
  /** A new session token for the key with this fingerprint. */
  start(keyFingerprint: string): Promise<string>;
  /** True when `token` is a live session of a key still configured. Redis away = false. */
  valid(token: string | undefined): Promise<boolean>;
}

export function createBrowserSessions(redis: Redis, queuePrefix: string, keys: ApiKeys): BrowserSessions {
  const keyOf = (token: string) => `${keyPrefix(queuePrefix)}:session:${createHash('sha256').update(token).digest('hex')}`;
  return {
    async start(keyFingerprint) {
      const token = randomBytes(32).toString('base64url');
      await redis.set(keyOf(token), keyFingerprint, 'EX', SESSION_MAX_AGE_S);
      return token;
    },
    async valid(token) {
      if (token === undefined || !/^[A-Za-z0-9_-]{43}$/.test(token)) return false;
      const fingerprint = await redis.get(keyOf(token)).catch(() => null);
      return fingerprint !== null && keys.knows(fingerprint);
    },
  };
}
