import { bucketOf, type OktaBucket } from './buckets.js';
import type { OktaCredentials } from './okta-credentials.js';
import { errorFromApiResponse, parseChallenge } from './okta-error-from-response.js';
import { OktaError, isOktaError } from './okta-errors.js';
import type { OktaHttp, OktaResponse } from './okta-http.js';
import { nextPageUrl } from './pagination.js';
import { type RateLimitReading, ServerClock, readRateLimit } from './rate-limit-headers.js';
import type { AccessToken } from './token-request.js';
import type { TokenProvider } from './token-service.js';

/** Items a page may hold when its URL asks no `limit` (the largest any list endpoint serves, System Log's). */
export const MAX_PAGE_ITEMS = 1000;

/** Events of one call, added to the run's counters by the caller (also on failure). */
export interface CallStats {
  requests: number;
  rateLimited: number;
  tokenFetches: number;
  retries: number;
}

export function emptyStats(): CallStats {
  return { requests: 0, rateLimited: 0, tokenFetches: 0, retries: 0 };
}

/** The cluster-wide limiter the client consults before each request (`createRedisRateBudget`). */
export interface RateBudget {
  /** Grants one request (holding an in-flight lease), or says when to try again. Never waits. */
  acquire(tenantId: string, bucket: OktaBucket, share: number): Promise<RateGrant | RateDenial>;
}

export interface RateGrant {
  granted: true;
  /** Returns the lease; `answer` feeds the window state when the request got a response. */
  release(answer?: RateAnswer): Promise<void>;
}

export interface RateDenial {
  granted: false;
  /** Local-clock epoch ms at which to ask again (the window reset, or a short wait). */
  retryAt: number;
  /** `window`: allowance or Okta's remaining spent; `probe`: the window's first answer is still out; `in_flight`: the tenant's cap is full. */
  reason: 'window' | 'probe' | 'in_flight';
}

/** What one response said about its bucket. */
export interface RateAnswer {
  status: number;
  reading: RateLimitReading | undefined;
}

export interface OktaPage {
  items: unknown[];
  /**
   * The `next` link exactly as Okta sent it, or null at the end. Never the request's own cursor on
   * a non-empty page (that throws `okta_pagination_loop`); on an empty page of a System Log
   * polling query it may be, and the caller stops there and keeps it as the cursor.
   */
  nextUrl: string | null;
  /** The bucket's `X-Rate-Limit-Limit` as this answer stated it (requests per minute), if it did. */
  rateLimit?: number;
}

/** A management API call that is not a list page (the Event Hooks API). */
export interface OktaApiRequest {
  method: 'GET' | 'POST' | 'DELETE';
  /** Path (and query) on the tenant's origin, e.g. `/api/v1/eventHooks`. */
  path: string;
  /** JSON body of a POST. */
  body?: unknown;
}

/** A 2xx answer: its status and parsed JSON body (null when empty). */
export interface OktaApiAnswer {
  status: number;
  body: unknown;
}

export interface OktaClient {
  /**
   * GETs one list page. Throws `OktaError`. Never sleeps and never retries a transient failure:
   * budget refusals and 429s surface as `okta_rate_limited` / `okta_concurrency_limited` with
   * `retryAt`, 5xx and resets as their codes, and `job-outcome.ts` decides what the queue does.
   */
  getPage(creds: OktaCredentials, url: string, scopes: readonly string[], stats: CallStats, share: number): Promise<OktaPage>;
  /**
   * One management API call on the tenant's own origin, under the same budget, token and DPoP
   * handling as a page; a non-2xx answer throws the same typed `OktaError`s. Not retried here.
   */
  call(creds: OktaCredentials, request: OktaApiRequest, scopes: readonly string[], stats: CallStats, share: number): Promise<OktaApiAnswer>;
}

/** Single-object reads (`GET /api/v1/users/{id}`), for targeted refreshes; same budget, token and errors as `getPage`. */
export interface OktaObjectReader {
  /** GETs one JSON object; a 404 throws `okta_not_found`. */
  getObject(creds: OktaCredentials, url: string, scopes: readonly string[], stats: CallStats, share: number): Promise<unknown>;
}

/** One HTTP exchange with Okta's API, for metrics. */
export interface OktaRequestEvent {
  tenantId: string;
  bucket: OktaBucket;
  /** The HTTP status, or 0 when no answer came (reset, timeout, DNS). */
  status: number;
  durationMs: number;
}

export interface OktaClientDeps {
  http: OktaHttp;
  tokens: TokenProvider;
  /** The cluster-wide rate budget. Without one every request is sent (one-off calls such as verify). */
  budget?: RateBudget;
  /** How far ahead a rate-limit reset may push a wait (`OKTA_SYNC_MAX_RATE_WAIT_SECONDS`), default 120000 ms. */
  maxResetAheadMs?: number;
  /** Called after every API exchange (not token requests, not budget refusals). Must not throw. */
  onRequest?: (event: OktaRequestEvent) => void;
}

/**
 * The Okta API client: budget → token → call → typed result. The failures it retries itself are
 * answers about how the token was presented, each once: a `401 invalid_token` (expired or
 * revoked) evicts exactly that token and tries with a fresh one; with DPoP, a `401 use_dpop_nonce`
 * retries with the nonce sent (kept for the origin), and a `400 invalid_dpop_proof` with a fresh
 * proof (OKTA-FACTS "DPoP on API calls"). Every other failure is retried by the queue, and only there.
 */
export function createOktaClient(deps: OktaClientDeps): OktaClient & OktaObjectReader {
  // Per origin: each org's `Date` headers pin its clock against ours (see ServerClock).
  const clocks = new Map<string, ServerClock>();
  const clockOf = (origin: string): ServerClock => {
    let clock = clocks.get(origin);
    if (!clock) {
      clock = new ServerClock();
      clocks.set(origin, clock);
    }
    return clock;
  };
  /** One request under the budget with the tenant's token; a `401 invalid_token` evicts it and retries once. */
  async function withToken<T>(
    creds: OktaCredentials,
    request: { url: string; method: OktaApiRequest['method']; body: string | undefined },
    scopes: readonly string[],
    stats: CallStats,
    share: number,
    read: (call: Call, token: AccessToken) => Promise<T>,
  ): Promise<T> {
    const target = new URL(request.url);
    // A token is only ever sent to its own tenant's origin, whatever a Link header says.
    if (target.origin !== creds.origin) {
      throw new OktaError('okta_bad_response', `refusing to follow a link to another origin (${target.origin})`);
    }
    const { method, body } = request;
    const call: Call = { deps, creds, target, method, body, bucket: bucketOf(method, target.pathname), stats, share, clock: clockOf(target.origin) };
    let { token, fetched } = await deps.tokens.get(creds, scopes);
    if (fetched) stats.tokenFetches++;
    try {
      return await read(call, token);
    } catch (error) {
      if (!isOktaError(error, 'okta_invalid_token')) throw error;
      await deps.tokens.invalidate(creds, token);
      ({ token, fetched } = await deps.tokens.get(creds, scopes));
      if (fetched) stats.tokenFetches++;
      stats.retries++;
      try {
        return await read(call, token);
      } catch (again) {
        // A token minted a moment ago and refused too must not linger in the cache either.
        if (isOktaError(again, 'okta_invalid_token')) await deps.tokens.invalidate(creds, token);
        throw again;
      }
    }
  }
  const get = (url: string) => ({ url, method: 'GET' as const, body: undefined });
  return {
    getPage: (creds, url, scopes, stats, share) => withToken(creds, get(url), scopes, stats, share, fetchPage),
    getObject: (creds, url, scopes, stats, share) => withToken(creds, get(url), scopes, stats, share, fetchObject),
    call: (creds, request, scopes, stats, share) => {
      const sent = { url: new URL(request.path, creds.origin).href, method: request.method, body: request.body === undefined ? undefined : JSON.stringify(request.body) };
      return withToken(creds, sent, scopes, stats, share, fetchAnswer);
    },
  };
}

interface Call {
  deps: OktaClientDeps;
  creds: OktaCredentials;
  target: URL;
  method: OktaApiRequest['method'];
  /** JSON text of a POST body. */
  body: string | undefined;
  bucket: OktaBucket;
  stats: CallStats;
  share: number;
  clock: ServerClock;
}

/** One exchange, plus the DPoP retries (nonce, fresh proof) Okta's answer asks for. */
async function exchangeWithDpop(call: Call, token: AccessToken): Promise<{ res: OktaResponse; reading: RateLimitReading | undefined }> {
  const retried = { nonce: false, proof: false };
  let answer = await exchange(call, token);
  while (token.type === 'DPoP' && (await dpopRetry(call, answer.res, retried))) {
    call.stats.retries++;
    answer = await exchange(call, token);
  }
  return answer;
}

/** A call's 2xx answer and its JSON (null for an empty body, e.g. a 204); any other status throws. */
async function fetchAnswer(call: Call, token: AccessToken): Promise<OktaApiAnswer> {
  const path = call.target.pathname;
  const { res, reading } = await exchangeWithDpop(call, token);
  if (res.status < 200 || res.status >= 300) {
    if (res.status === 429) call.stats.rateLimited++;
    throw errorFromApiResponse(res, path, undefined, reading?.resetAtMs);
  }
  if (res.body.trim() === '') return { status: res.status, body: null };
  try {
    return { status: res.status, body: JSON.parse(res.body) as unknown };
  } catch (cause) {
    throw new OktaError('okta_bad_response', `unparsable JSON from ${path}`, { path, status: res.status }, { cause });
  }
}

/** The exchange (with its DPoP retries) up to a 200 answer and its parsed JSON; any other status throws. */
async function fetchJson(call: Call, token: AccessToken): Promise<{ res: OktaResponse; reading: RateLimitReading | undefined; json: unknown }> {
  const { target, stats } = call;
  const path = target.pathname;
  const { res, reading } = await exchangeWithDpop(call, token);
  if (res.status !== 200) {
    if (res.status === 429) stats.rateLimited++;
    const limit = Number(target.searchParams.get('limit') ?? Number.NaN);
    throw errorFromApiResponse(res, path, Number.isFinite(limit) ? limit : undefined, reading?.resetAtMs);
  }
  try {
    return { res, reading, json: JSON.parse(res.body) };
  } catch (cause) {
    throw new OktaError('okta_bad_response', `unparsable JSON from ${path}`, { path, status: res.status }, { cause });
  }
}

async function fetchObject(call: Call, token: AccessToken): Promise<unknown> {
  const { res, json } = await fetchJson(call, token);
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new OktaError('okta_bad_response', `expected a JSON object from ${call.target.pathname}`, { path: call.target.pathname, status: res.status });
  }
  return json;
}

async function fetchPage(call: Call, token: AccessToken): Promise<OktaPage> {
  const { target } = call;
  const path = target.pathname;
  const { res, reading, json: items } = await fetchJson(call, token);
  if (!Array.isArray(items)) {
    throw new OktaError('okta_bad_response', `expected a JSON array from ${path}`, { path, status: res.status });
  }
  const asked = Number(target.searchParams.get('limit') ?? Number.NaN);
  const allowed = Number.isInteger(asked) && asked > 0 ? asked : MAX_PAGE_ITEMS;
  if (items.length > allowed) {
    // An org that ignores `limit` is not paging: its cost would have no bound.
    throw new OktaError('okta_bad_response', `${path} answered ${items.length} items to a page of at most ${allowed}`, { path, status: res.status });
  }
  const page: OktaPage = { items, nextUrl: nextPageUrl(target, res.headers.link, items.length) };
  if (reading && reading.limit > 0) page.rateLimit = reading.limit;
  return page;
}

/**
 * DPoP answers worth one more try (each at most once per page): a demanded nonce (kept for the
 * origin, so later proofs carry it) and a refused proof (the next exchange signs a fresh one).
 * A nonce sent on any answer is kept: Okta rotates them.
 */
async function dpopRetry(call: Call, res: OktaResponse, retried: { nonce: boolean; proof: boolean }): Promise<boolean> {
  const raw = res.headers['dpop-nonce'];
  const nonce = Array.isArray(raw) ? raw[0] : raw;
  if (nonce) await call.deps.tokens.rememberApiNonce?.(call.creds, nonce);
  if (res.status !== 400 && res.status !== 401) return false;
  const error = parseChallenge(res.headers['www-authenticate']).error;
  if (error === 'use_dpop_nonce' && nonce && !retried.nonce) {
    retried.nonce = true;
    return true;
  }
  if (error === 'invalid_dpop_proof' && !retried.proof) {
    retried.proof = true;
    return true;
  }
  return false;
}

/** One request under a budget lease: acquire, send, release with what the answer said about the window. */
async function exchange(call: Call, token: AccessToken): Promise<{ res: OktaResponse; reading: RateLimitReading | undefined }> {
  const { deps, creds, target, bucket, stats } = call;
  const auth = await deps.tokens.headersFor(creds, token, call.method, target.href);
  const headers = call.body === undefined ? auth : { ...auth, 'content-type': 'application/json' };
  const grant = deps.budget ? await deps.budget.acquire(creds.tenantId, bucket, call.share) : undefined;
  if (grant && !grant.granted) throw refusal(grant, bucket, target.pathname);
  let answer: RateAnswer | undefined;
  const sentAt = Date.now();
  try {
    stats.requests++;
    const res = await deps.http.request({ method: call.method, url: target.href, headers, ...(call.body === undefined ? {} : { body: call.body }) });
    const receivedAt = Date.now();
    call.clock.observe(res.headers.date, sentAt, receivedAt);
    const reading = readRateLimit(res.headers, receivedAt, call.clock, deps.maxResetAheadMs);
    answer = { status: res.status, reading };
    return { res, reading };
  } finally {
    deps.onRequest?.({ tenantId: creds.tenantId, bucket, status: answer?.status ?? 0, durationMs: Date.now() - sentAt });
    // A lost release is harmless: the lease expires and one reading is missed.
    if (grant?.granted) await grant.release(answer).catch(() => undefined);
  }
}

function refusal(denial: RateDenial, bucket: OktaBucket, path: string): OktaError {
  const context = { path, retryAt: denial.retryAt, throttle: denial.reason };
  switch (denial.reason) {
    case 'in_flight':
      return new OktaError('okta_concurrency_limited', `the tenant's requests in flight are at the cap (${bucket})`, context);
    case 'probe':
      return new OktaError('okta_rate_limited', `waiting for the first answer of the ${bucket} window`, context);
    case 'window':
      return new OktaError('okta_rate_limited', `rate budget for ${bucket} spent until the window resets`, context);
  }
}
