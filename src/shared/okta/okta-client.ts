import type { OktaCredentials } from './okta-credentials.js';
import { errorFromApiResponse } from './okta-error-from-response.js';
import type { OktaHttp } from './okta-http.js';
import { OktaError, isOktaError } from './okta-errors.js';
import { nextLink } from './link-header.js';
import { bucketOf, type OktaBucket } from './buckets.js';
import { readRateLimit, type RateLimitReading } from './rate-limit-headers.js';
import type { TokenProvider } from './token-service.js';
import type { AccessToken } from './token-request.js';

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

/** The cluster-wide limiter the client consults before each request (issue 5 implements it in Redis). */
export interface RateBudget {
  /** Grants one request (with an in-flight lease to release), or says how long to wait. */
  acquire(
    tenantId: string,
    bucket: OktaBucket,
    share: number,
  ): Promise<{ granted: true; release(): Promise<void> } | { granted: false; retryAt: number }>;
  /** Feeds the bucket state from a response's headers. */
  observe(tenantId: string, bucket: OktaBucket, reading: RateLimitReading | undefined, status: number): Promise<void>;
}

export interface OktaPage {
  items: unknown[];
  nextUrl: string | null;
}

export interface OktaClient {
  /** GETs one list page. Throws `OktaError`; rate waits surface as `okta_rate_limited` with `retryAt`. */
  getPage(creds: OktaCredentials, url: string, scopes: readonly string[], stats: CallStats, share: number): Promise<OktaPage>;
}

export interface OktaClientDeps {
  http: OktaHttp;
  tokens: TokenProvider;
  budget?: RateBudget;
}

export function createOktaClient(deps: OktaClientDeps): OktaClient {
  return {
    async getPage(creds, url, scopes, stats, share) {
      const target = new URL(url);
      // A token is only ever sent to its own tenant's origin, whatever a Link header says.
      if (target.origin !== creds.origin) {
        throw new OktaError('okta_bad_response', `refusing to follow a link to another origin (${target.origin})`);
      }
      const bucket = bucketOf('GET', target.pathname);
      let { token, fetched } = await deps.tokens.get(creds, scopes);
      if (fetched) stats.tokenFetches++;
      try {
        return await fetchPage(deps, creds, target, token, bucket, stats, share);
      } catch (error) {
        if (!isOktaError(error, 'okta_invalid_token')) throw error;
        // Expired or revoked: evict exactly this token and retry once with a fresh one.
        await deps.tokens.invalidate(creds, token);
        ({ token, fetched } = await deps.tokens.get(creds, scopes));
        if (fetched) stats.tokenFetches++;
        stats.retries++;
        return fetchPage(deps, creds, target, token, bucket, stats, share);
      }
    },
  };
}

async function fetchPage(
  deps: OktaClientDeps,
  creds: OktaCredentials,
  target: URL,
  token: AccessToken,
  bucket: OktaBucket,
  stats: CallStats,
  share: number,
): Promise<OktaPage> {
  const grant = deps.budget ? await deps.budget.acquire(creds.tenantId, bucket, share) : undefined;
  if (grant && !grant.granted) {
    throw new OktaError('okta_rate_limited', `rate budget for ${bucket} spent`, { path: target.pathname, retryAt: grant.retryAt });
  }
  try {
    stats.requests++;
    const res = await deps.http.request({
      method: 'GET',
      url: target.href,
      headers: await deps.tokens.headersFor(creds, token, 'GET', target.href),
    });
    await deps.budget?.observe(creds.tenantId, bucket, readRateLimit(res.headers), res.status);
    if (res.status !== 200) {
      if (res.status === 429) stats.rateLimited++;
      const limit = Number(target.searchParams.get('limit') ?? Number.NaN);
      throw errorFromApiResponse(res, target.pathname, Number.isFinite(limit) ? limit : undefined);
    }
    let items: unknown;
    try {
      items = JSON.parse(res.body);
    } catch (cause) {
      throw new OktaError('okta_bad_response', `unparsable JSON from ${target.pathname}`, { path: target.pathname }, { cause });
    }
    if (!Array.isArray(items)) {
      throw new OktaError('okta_bad_response', `expected a JSON array from ${target.pathname}`, { path: target.pathname });
    }
    return { items, nextUrl: nextLink(res.headers.link) };
  } finally {
    if (grant?.granted) await grant.release();
  }
}
