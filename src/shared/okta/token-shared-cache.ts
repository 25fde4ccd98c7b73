import { createHash } from 'node:crypto';
import type { JsonWebKey } from 'node:crypto';
import type { Keyring } from '../crypto.js';
import type { TenantId } from '../ids.js';
import { type Redis, keyPrefix } from '../redis.js';
import { exportDpopKey, importDpopKey } from './dpop-key.js';
import type { OktaCredentials } from './okta-credentials.js';
import { type OktaErrorCode, OktaError, type OktaErrorContext } from './okta-errors.js';
import type { AccessToken } from './token-request.js';
import { type TokenTiming, expirySkewMs } from './token-timing.js';

/** What the shared (L2) cache needs: a Redis connection, the credentials keyring and the key prefix. */
export interface SharedTokenCacheOptions {
  redis: Redis;
  keyring: Keyring;
  /** `QUEUE_PREFIX`: every key lives under `{prefix}:token:<tenantId>:` (purged with the tenant). */
  queuePrefix: string;
  /**
   * The hash-tagged prefix of a tenant's queue shard (`ShardedQueues.prefixFor`), so its token,
   * lock and nonces sit in its shard's slot. Default `{queuePrefix}` (one shard).
   */
  prefixFor?: (tenantId: TenantId) => string;
}

/** The Redis keys of one (tenant, scope set). Scopes never contain ':' so the suffixes cannot collide. */
export interface TokenKeys {
  /** The encrypted token: `{prefix}:token:<tenantId>:<sorted scopes>`. */
  token: string;
  /** The fetch lock. */
  lock: string;
  /** The last failed fetch's error, shared for a short while. */
  failed: string;
}

/** Keys under the one-shard prefix `{queuePrefix}`; `tagged` = another shard's hash-tagged prefix. */
export function tokenKeys(queuePrefix: string, tenantId: TenantId, scope: string, tagged = keyPrefix(queuePrefix)): TokenKeys {
  const base = `${tagged}:token:${tenantId}:${scope}`;
  return { token: base, lock: `${base}:lock`, failed: `${base}:failed` };
}

/** The tenant's DPoP nonce (public: the org sends it to anyone). */
export function nonceKey(queuePrefix: string, tenantId: TenantId, tagged = keyPrefix(queuePrefix)): string {
  return `${tagged}:token:${tenantId}:#dpop-nonce`;
}

/** The resource server's DPoP nonce for one origin (API calls; not the token endpoint's). */
export function apiNonceKey(queuePrefix: string, tenantId: TenantId, origin: string, tagged = keyPrefix(queuePrefix)): string {
  return `${tagged}:token:${tenantId}:#dpop-api-nonce|${origin}`;
}

/**
 * Associated data of a cached token: the ciphertext only decrypts for the same tenant, origin,
 * client, credential version and scope set, so a tenant whose domain, client or secret changed
 * never gets the old token back: on every worker, the next request fetches a new one.
 */
export function tokenContext(creds: OktaCredentials, scope: string): string {
  const version = creds.version === undefined ? '' : `|v=${creds.version}`;
  return `okta-sync:token:${creds.tenantId}|${creds.origin}|${creds.clientId}|${scope}${version}`;
}

/** Identifies a token without revealing it: the stored value starts with it, for compare-and-delete. */
export function tokenFingerprint(token: string): string {
  return createHash('sha256').update(`okta-sync:token-fingerprint:${token}`).digest('base64url').slice(0, 22);
}

/** Deletes the token only if it is still the one that failed (a newer one stays). */
const EVICT = `local v = redis.call('GET', KEYS[1])
if v and string.sub(v, 1, string.len(ARGV[1])) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

interface StoredToken {
  v: string;
  t: 'Bearer' | 'DPoP';
  /** lifetime ms */
  l: number;
  /** DPoP private JWK */
  k?: JsonWebKey;
}

interface StoredFailure {
  code: OktaErrorCode;
  message: string;
  context: OktaErrorContext;
  /** Credential version of the fetch that failed. */
  cv?: string;
}

/** What one read of the shared cache found. */
export interface SharedRead {
  token?: AccessToken;
  /** A fetch that failed moments ago, still shared: waiters surface it instead of repeating it. */
  failure?: OktaError;
}

/**
 * L2: tokens in Redis, AES-256-GCM under the credentials keyring, with a Redis TTL of
 * (expiry − skew). Readers take the expiry from the key's PTTL (Redis's clock), not from the
 * writer's clock, so workers whose clocks disagree still agree on when a token stops being used.
 */
export class SharedTokenCache {
  constructor(private readonly o: SharedTokenCacheOptions, private readonly timing: TokenTiming) {}

  keys(tenantId: TenantId, scope: string): TokenKeys {
    return tokenKeys(this.o.queuePrefix, tenantId, scope, this.tagged(tenantId));
  }

  get redis(): Redis {
    return this.o.redis;
  }

  private tagged(tenantId: TenantId): string {
    return this.o.prefixFor ? this.o.prefixFor(tenantId) : keyPrefix(this.o.queuePrefix);
  }

  async read(creds: OktaCredentials, scope: string): Promise<SharedRead> {
    const keys = this.keys(creds.tenantId, scope);
    const readAt = Date.now();
    const replies = await this.o.redis.multi().get(keys.token).pttl(keys.token).get(keys.failed).exec();
    const raw = replies?.[0]?.[1];
    const pttl = replies?.[1]?.[1];
    const failed = replies?.[2]?.[1];
    const token = typeof raw === 'string' && typeof pttl === 'number' && pttl > 0 ? this.decode(creds, scope, raw, readAt + pttl) : undefined;
    const failure = typeof failed === 'string' ? decodeFailure(failed, creds.version) : undefined;
    return { ...(token ? { token } : {}), ...(failure ? { failure } : {}) };
  }

  /** Stores a fresh token for `ttlMs` and clears any shared failure. */
  async write(creds: OktaCredentials, token: AccessToken, ttlMs: number): Promise<void> {
    if (ttlMs <= 0) return;
    const stored: StoredToken = {
      v: token.value,
      t: token.type,
      l: token.lifetimeMs,
      ...(token.dpopKey ? { k: exportDpopKey(token.dpopKey) } : {}),
    };
    const sealed = this.o.keyring.encrypt(JSON.stringify(stored), tokenContext(creds, token.scope));
    const keys = this.keys(creds.tenantId, token.scope);
    await this.o.redis
      .multi()
      .set(keys.token, `${tokenFingerprint(token.value)}.${sealed}`, 'PX', Math.ceil(ttlMs))
      .del(keys.failed)
      .exec();
  }

  /** Compare-and-delete: removes the cached token only if it is `token`. True when it was. */
  async evict(creds: OktaCredentials, token: AccessToken): Promise<boolean> {
    const key = this.keys(creds.tenantId, token.scope).token;
    return (await this.o.redis.eval(EVICT, 1, key, `${tokenFingerprint(token.value)}.`)) === 1;
  }

  /** Shares a failed fetch's error (code, safe message, context: never a secret) for `ttlMs`. */
  async writeFailure(creds: OktaCredentials, scope: string, error: OktaError, ttlMs: number): Promise<void> {
    const stored: StoredFailure = { code: error.code, message: error.message, context: error.context, ...(creds.version ? { cv: creds.version } : {}) };
    await this.o.redis.set(this.keys(creds.tenantId, scope).failed, JSON.stringify(stored), 'PX', Math.max(1, Math.ceil(ttlMs)));
  }

  async readNonce(tenantId: TenantId): Promise<string | undefined> {
    return (await this.o.redis.get(nonceKey(this.o.queuePrefix, tenantId, this.tagged(tenantId)))) ?? undefined;
  }

  async writeNonce(tenantId: TenantId, nonce: string, ttlMs: number): Promise<void> {
    await this.o.redis.set(nonceKey(this.o.queuePrefix, tenantId, this.tagged(tenantId)), nonce, 'PX', ttlMs);
  }

  async readApiNonce(tenantId: TenantId, origin: string): Promise<string | undefined> {
    return (await this.o.redis.get(apiNonceKey(this.o.queuePrefix, tenantId, origin, this.tagged(tenantId)))) ?? undefined;
  }

  async writeApiNonce(tenantId: TenantId, origin: string, nonce: string, ttlMs: number): Promise<void> {
    await this.o.redis.set(apiNonceKey(this.o.queuePrefix, tenantId, origin, this.tagged(tenantId)), nonce, 'PX', ttlMs);
  }

  /** A value written for other credentials, under a retired key, or of the wrong kind reads as a miss. */
  private decode(creds: OktaCredentials, scope: string, raw: string, usableUntil: number): AccessToken | undefined {
    const dot = raw.indexOf('.');
    let stored: StoredToken;
    try {
      stored = JSON.parse(this.o.keyring.decrypt(raw.slice(dot + 1), tokenContext(creds, scope))) as StoredToken;
    } catch {
      return undefined;
    }
    if (typeof stored.v !== 'string' || typeof stored.l !== 'number' || (stored.t === 'DPoP') !== creds.dpop) return undefined;
    let dpopKey: AccessToken['dpopKey'];
    if (stored.t === 'DPoP') {
      if (!stored.k) return undefined;
      try {
        dpopKey = importDpopKey(stored.k);
      } catch {
        return undefined;
      }
    }
    return {
      value: stored.v,
      type: stored.t,
      expiresAt: usableUntil + expirySkewMs(stored.l, this.timing),
      lifetimeMs: stored.l,
      scope,
      ...(dpopKey ? { dpopKey } : {}),
    };
  }
}

/** A failure of other credentials (before a PUT with a new secret) is not this credential's. */
function decodeFailure(raw: string, version: string | undefined): OktaError | undefined {
  try {
    const f = JSON.parse(raw) as StoredFailure;
    if (f.cv !== version) return undefined;
    return new OktaError(f.code, f.message, f.context);
  } catch {
    return undefined;
  }
}
