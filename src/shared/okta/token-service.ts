import { setTimeout as sleep } from 'node:timers/promises';
import type { TenantId } from '../ids.js';
import { DpopApiNonces } from './dpop-api-nonces.js';
import { dpopProof } from './dpop-proof.js';
import type { OktaCredentials } from './okta-credentials.js';
import type { OktaHttp } from './okta-http.js';
import { OktaError, isOktaError } from './okta-errors.js';
import { type HeldLock, keepAlive, releaseLock, tryLock } from './redis-lock.js';
import { createTokenFetcher, type TokenFetcher } from './token-fetcher.js';
import { type AccessToken, scopeKey } from './token-request.js';
import { assertScopesGranted } from './token-scopes.js';
import { SharedTokenCache, type SharedTokenCacheOptions } from './token-shared-cache.js';
import { DEFAULT_TOKEN_TIMING, type TokenTiming, failureShareMs, isUsable, refreshDue, usableUntil } from './token-timing.js';

/** What the Okta client needs from a token source. */
export interface TokenProvider {
  /** A token valid for at least the expiry skew; `fetched` tells whether this call hit the token endpoint. */
  get(creds: OktaCredentials, scopes: readonly string[]): Promise<{ token: AccessToken; fetched: boolean }>;
  /** Drops exactly `token` (if it is still the cached one) after Okta rejected it. */
  invalidate(creds: OktaCredentials, token: AccessToken): Promise<void>;
  /**
   * Headers that present `token` on one API request (`Authorization`, plus a fresh `DPoP` proof
   * for DPoP tokens, carrying the origin's resource-server nonce once one is known).
   */
  headersFor(creds: OktaCredentials, token: AccessToken, method: string, url: string): Promise<Record<string, string>>;
  /** Keeps the `DPoP-Nonce` an API answer sent, for every later proof to that origin (cluster-wide). */
  rememberApiNonce?(creds: OktaCredentials, nonce: string): Promise<void>;
}

/** One thing the token service did, for metrics (counts and latency). */
export interface TokenEvent {
  /** `fetch`: a token request; `l1_hit`/`l2_hit`: served from process/Redis cache; `lock_wait`: waited for another process's fetch. */
  kind: 'fetch' | 'l1_hit' | 'l2_hit' | 'lock_wait';
  tenantId: TenantId;
  durationMs: number;
  /** On `fetch`: a refresh ahead of expiry that no caller waited for. */
  background?: boolean;
}

export interface TokenServiceOptions {
  /**
   * Share tokens across the cluster (L2 in Redis, one fetch under a lock). Without it tokens are
   * cached per process only, like the official SDK: one-off checks use that, and the benchmark
   * measures it as the baseline. Default: per process.
   */
  shared?: SharedTokenCacheOptions;
  /** Lifetime shares (expiry skew, refresh-ahead) and failure sharing; defaults in `DEFAULT_TOKEN_TIMING`. */
  timing?: Partial<TokenTiming>;
  /** Fetch lock TTL, kept alive while the fetch runs: it only bounds how long a dead holder blocks. Default 5000 ms. */
  lockTtlMs?: number;
  /** Longest wait for another process's fetch before failing transiently. Default 45000 ms (above the HTTP headers timeout). */
  maxWaitMs?: number;
  /**
   * First poll delay while another process fetches; doubles with jitter up to `pollCapMs`. Only
   * one caller per process polls (the others join its single flight), so polling is cheap. Default 10 ms.
   */
  pollInitialMs?: number;
  /** Largest poll delay: a waiter sees the new token at most this long after it was written. Default 50 ms. */
  pollCapMs?: number;
  /** How often one process may try a refresh ahead of expiry for one (tenant, scope set). Default 1000 ms. */
  refreshRetryMs?: number;
  /** Metrics hook (token fetches, cache hits, lock waits). Must be cheap; whatever it throws is ignored. */
  onEvent?(event: TokenEvent): void;
}

const DEFAULTS = { lockTtlMs: 5_000, maxWaitMs: 45_000, pollInitialMs: 10, pollCapMs: 50, refreshRetryMs: 1_000 };

interface L1Entry {
  token: AccessToken;
  /** Origin, client, DPoP flag and credential version the token was issued for: new credentials never reuse it. */
  binding: string;
}

type Got = { token: AccessToken; fetched: boolean };

/**
 * Tokens per (tenant, sorted scope set), DESIGN.md flow step 3:
 * - L1: a Map per process; concurrent misses share one promise (single flight).
 * - L2: `{prefix}:token:<tenantId>:<sorted scopes>` in Redis (`{prefix}`: the tenant's queue shard's
 *   tag), AES-GCM under the credentials keyring (AAD binds tenant, origin, client, scopes), TTL = expiry − skew; readers take the expiry from
 *   the key's PTTL, so workers need not agree on the time. `…:lock` and `…:failed` sit beside it,
 *   the tenant's DPoP nonce at `{prefix}:token:<tenantId>:#dpop-nonce` and the API's (resource
 *   server's) at `…:#dpop-api-nonce|<origin>` (all purged with the tenant).
 * - Miss: read L2; else `SET lock NX PX` (random value, kept alive while the fetch runs, released
 *   by Lua compare-and-delete) and fetch; the other processes poll L2 (10 ms doubling to 50 ms).
 *   A dead holder costs at most the lock TTL. A failed fetch is shared under `…:failed` for a
 *   moment, so waiters surface it (invalid_client, 429 until its reset, 5xx) instead of repeating it.
 * - Refresh ahead: in the last 10% of the lifetime the first caller of a process tries the lock
 *   without waiting (at most once a second); the winner fetches, everyone keeps the current token.
 * - `invalidate`: L1 if it holds that token; L2 by Lua compare-and-delete on the token's fingerprint.
 * - DPoP: a fresh key per token, stored (encrypted) with it in L2 so any worker can sign proofs.
 */
export function createTokenService(http: OktaHttp, options: TokenServiceOptions = {}): TokenProvider {
  return new TokenService(http, options);
}

class TokenService implements TokenProvider {
  private readonly timing: TokenTiming;
  private readonly o: typeof DEFAULTS;
  private readonly shared: SharedTokenCache | undefined;
  private readonly fetchToken: TokenFetcher;
  private readonly apiNonces: DpopApiNonces;
  private readonly l1 = new Map<string, L1Entry>();
  private readonly loads = new Map<string, Promise<Got>>();
  private readonly refreshing = new Set<string>();
  private readonly lastRefreshTry = new Map<string, number>();

  constructor(http: OktaHttp, private readonly options: TokenServiceOptions) {
    this.timing = { ...DEFAULT_TOKEN_TIMING, ...options.timing };
    const { shared: _s, timing: _t, onEvent: _e, ...rest } = options;
    this.o = { ...DEFAULTS, ...rest };
    this.shared = options.shared ? new SharedTokenCache(options.shared, this.timing) : undefined;
    this.fetchToken = createTokenFetcher(http, this.shared);
    this.apiNonces = new DpopApiNonces(this.shared);
  }

  async get(creds: OktaCredentials, scopes: readonly string[]): Promise<Got> {
    assertScopesGranted(creds.grantedScopes, [...new Set(scopes)]);
    const scope = scopeKey(scopes);
    const key = `${creds.tenantId}\u0000${scope}`;
    const started = Date.now();
    const entry = this.l1.get(key);
    if (entry && entry.binding === bindingOf(creds) && isUsable(entry.token, started, this.timing)) {
      this.emit('l1_hit', creds.tenantId, started);
      if (refreshDue(entry.token, started, this.timing)) this.refreshAhead(creds, scopes, scope, key);
      return { token: entry.token, fetched: false };
    }
    if (entry) this.l1.delete(key);
    const pending = this.loads.get(key);
    if (pending) return { token: (await pending).token, fetched: false };
    const load = (this.shared ? this.loadShared(this.shared, creds, scopes, scope, key) : this.loadLocal(creds, scopes, key)).finally(() =>
      this.loads.delete(key),
    );
    this.loads.set(key, load);
    return load;
  }

  async invalidate(creds: OktaCredentials, token: AccessToken): Promise<void> {
    const key = `${creds.tenantId}\u0000${token.scope}`;
    if (this.l1.get(key)?.token.value === token.value) this.l1.delete(key);
    await this.shared?.evict(creds, token);
  }

  async headersFor(creds: OktaCredentials, token: AccessToken, method: string, url: string): Promise<Record<string, string>> {
    // A token is only ever sent to its own tenant's origin.
    if (new URL(url).origin !== creds.origin) throw new OktaError('okta_bad_response', 'refusing to send a token to another origin');
    if (token.type !== 'DPoP') return { authorization: `Bearer ${token.value}` };
    if (!token.dpopKey) throw new OktaError('okta_invalid_token', 'a DPoP token without its key cannot be presented');
    const nonce = await this.apiNonces.get(creds);
    const extra = nonce === undefined ? { accessToken: token.value } : { accessToken: token.value, nonce };
    return { authorization: `DPoP ${token.value}`, dpop: await dpopProof(token.dpopKey, method, url, extra) };
  }

  rememberApiNonce(creds: OktaCredentials, nonce: string): Promise<void> {
    return this.apiNonces.remember(creds, nonce);
  }

  /** Per-process mode: single flight only. */
  private async loadLocal(creds: OktaCredentials, scopes: readonly string[], key: string): Promise<Got> {
    const t0 = Date.now();
    const token = await this.fetchToken(creds, scopes);
    this.emit('fetch', creds.tenantId, t0);
    this.remember(key, creds, token);
    return { token, fetched: true };
  }

  /** L1 missed: read L2; on a miss take the lock and fetch, or poll L2 while another process does. */
  private async loadShared(shared: SharedTokenCache, creds: OktaCredentials, scopes: readonly string[], scope: string, key: string): Promise<Got> {
    const started = Date.now();
    let delay = this.o.pollInitialMs;
    let waited = false;
    for (;;) {
      const found = await shared.read(creds, scope);
      if (found.token && isUsable(found.token, Date.now(), this.timing)) {
        this.emit(waited ? 'lock_wait' : 'l2_hit', creds.tenantId, started);
        this.remember(key, creds, found.token);
        if (refreshDue(found.token, Date.now(), this.timing)) this.refreshAhead(creds, scopes, scope, key);
        return { token: found.token, fetched: false };
      }
      if (found.failure) throw found.failure;
      const lock = await tryLock(shared.redis, shared.keys(creds.tenantId, scope).lock, this.o.lockTtlMs);
      if (lock) {
        if (waited) this.emit('lock_wait', creds.tenantId, started);
        return this.fetchUnderLock(shared, lock, creds, scopes, scope, key, false);
      }
      if (Date.now() - started > this.o.maxWaitMs) {
        throw new OktaError('okta_network', "timed out waiting for another worker's token request", { path: '/oauth2/v1/token' });
      }
      waited = true;
      await sleep(delay / 2 + Math.random() * (delay / 2));
      delay = Math.min(delay * 2, this.o.pollCapMs);
    }
  }

  /**
   * Holding the lock: re-read L2 (the previous holder may have just written), else fetch, store,
   * release. A failure is shared for a moment so that the waiters surface it instead of repeating it.
   */
  private async fetchUnderLock(
    shared: SharedTokenCache,
    lock: HeldLock,
    creds: OktaCredentials,
    scopes: readonly string[],
    scope: string,
    key: string,
    background: boolean,
  ): Promise<Got> {
    const alive = keepAlive(shared.redis, lock, this.o.lockTtlMs);
    try {
      const again = await shared.read(creds, scope);
      const now = Date.now();
      if (again.token && isUsable(again.token, now, this.timing) && !(background && refreshDue(again.token, now, this.timing))) {
        this.remember(key, creds, again.token);
        return { token: again.token, fetched: false };
      }
      if (again.failure) throw again.failure;
      const t0 = Date.now();
      let token: AccessToken;
      try {
        token = await this.fetchToken(creds, scopes);
      } catch (error) {
        await this.shareFailure(shared, creds, scope, error);
        throw error;
      }
      this.emit('fetch', creds.tenantId, t0, background);
      // The token is good even if Redis hiccups now: keep it in L1 and let the others fetch theirs.
      await shared.write(creds, token, usableUntil(token, this.timing) - Date.now()).catch(() => undefined);
      this.remember(key, creds, token);
      return { token, fetched: true };
    } finally {
      alive.stop();
      await releaseLock(shared.redis, lock).catch(() => undefined);
    }
  }

  /**
   * In the refresh-ahead window: at most one attempt per process per `refreshRetryMs`, and only
   * the process that wins the lock (tried without waiting) fetches; everyone keeps the current token.
   */
  private refreshAhead(creds: OktaCredentials, scopes: readonly string[], scope: string, key: string): void {
    const shared = this.shared;
    const now = Date.now();
    if (!shared || this.refreshing.has(key) || now - (this.lastRefreshTry.get(key) ?? 0) < this.o.refreshRetryMs) return;
    this.lastRefreshTry.set(key, now);
    this.refreshing.add(key);
    void (async () => {
      const found = await shared.read(creds, scope);
      if (found.token && isUsable(found.token, Date.now(), this.timing) && !refreshDue(found.token, Date.now(), this.timing)) {
        this.remember(key, creds, found.token); // another process already refreshed it
        return;
      }
      if (found.failure) return;
      const lock = await tryLock(shared.redis, shared.keys(creds.tenantId, scope).lock, this.o.lockTtlMs);
      if (lock) await this.fetchUnderLock(shared, lock, creds, scopes, scope, key, true);
    })()
      // A failed refresh costs nothing yet: the current token stays in use, the next try comes later.
      .catch(() => undefined)
      .finally(() => this.refreshing.delete(key));
  }

  private async shareFailure(shared: SharedTokenCache, creds: OktaCredentials, scope: string, error: unknown): Promise<void> {
    if (!isOktaError(error)) return;
    const ttl = failureShareMs(error, Date.now(), this.timing);
    if (ttl !== undefined) await shared.writeFailure(creds, scope, error, ttl).catch(() => undefined);
  }

  private remember(key: string, creds: OktaCredentials, token: AccessToken): void {
    if (this.l1.size > 10_000) {
      const now = Date.now();
      for (const [k, e] of this.l1) if (!isUsable(e.token, now, this.timing)) this.l1.delete(k);
    }
    this.l1.set(key, { token, binding: bindingOf(creds) });
  }

  private emit(kind: TokenEvent['kind'], tenantId: TenantId, since: number, background = false): void {
    if (!this.options.onEvent) return;
    try {
      this.options.onEvent({ kind, tenantId, durationMs: Date.now() - since, ...(background ? { background } : {}) });
    } catch {
      // metrics must never break a sync
    }
  }
}

function bindingOf(creds: OktaCredentials): string {
  return `${creds.origin}|${creds.clientId}|${creds.dpop}|${creds.version ?? ''}`;
}
