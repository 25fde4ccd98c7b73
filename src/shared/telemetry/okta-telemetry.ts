import { SpanKind } from '@opentelemetry/api';
import { bucketOf } from '../okta/buckets.js';
import type { OktaHttp } from '../okta/okta-http.js';
import { takeRetryCount } from './job-telemetry.js';
import { overriding } from './overriding.js';
import { ATTR, SPAN, withSpan } from './spans.js';

/**
 * Spans around the Okta adapters, added by decorating them in the composition root so the
 * adapters stay free of telemetry. Attributes are tenant ids, buckets, paths, statuses and
 * counts: never a URL query, a header, a credential or a token.
 */

/** `okta-sync.okta.request` around every Okta HTTP exchange (API calls and token requests). */
export function instrumentOktaHttp(http: OktaHttp): OktaHttp {
  return {
    request(options) {
      const url = new URL(options.url);
      const bucket = bucketOf(options.method, url.pathname);
      const retries = takeRetryCount(`${options.method} ${url.pathname}${url.search}`);
      return withSpan(
        SPAN.request,
        {
          kind: SpanKind.CLIENT,
          attributes: {
            [ATTR.httpMethod]: options.method,
            [ATTR.urlPath]: url.pathname,
            [ATTR.serverAddress]: url.host,
            [ATTR.bucket]: bucket,
            [ATTR.retryCount]: retries,
          },
        },
        async (span) => {
          const res = await http.request(options);
          span.setAttribute(ATTR.httpStatus, res.status);
          const remaining = Number(headerValue(res.headers['x-rate-limit-remaining']));
          if (Number.isFinite(remaining)) span.setAttribute(ATTR.rateRemaining, remaining);
          return res;
        },
      );
    },
    close: () => http.close(),
  };
}

/** Minimal interface the token span needs from a token provider. */
interface TokenSource {
  get(creds: { tenantId: string }, scopes: readonly string[]): Promise<{ fetched: boolean }>;
  invalidate(creds: { tenantId: string }, token: never): Promise<void>;
}

/**
 * `okta-sync.token.get` (attribute `okta_sync.token.cache`: hit or miss) around `get`, and a span
 * around `invalidate`. Every other member passes through untouched (`headersFor` builds the
 * Authorization header and is deliberately never traced).
 */
export function instrumentTokens<T extends TokenSource>(tokens: T): T {
  const get: TokenSource['get'] = (creds, scopes) =>
    withSpan(SPAN.token, { attributes: { [ATTR.tenantId]: creds.tenantId, [ATTR.scopes]: [...scopes].sort().join(' ') } }, async (span) => {
      const got = await tokens.get(creds, scopes);
      span.setAttribute(ATTR.tokenCache, got.fetched ? 'miss' : 'hit');
      return got;
    });
  const invalidate: TokenSource['invalidate'] = (creds, token) =>
    withSpan(SPAN.tokenInvalidate, { attributes: { [ATTR.tenantId]: creds.tenantId } }, () => tokens.invalidate(creds, token));
  return overriding(tokens, { get, invalidate });
}

/** Minimal interface the budget span needs from the rate budget. */
interface BudgetSource {
  acquire(tenantId: string, bucket: string, share: number): Promise<{ granted: true } | { granted: false; retryAt: number }>;
}

/** `okta-sync.rate-budget.acquire`: granted or not, and how long the job will wait when not. */
export function instrumentRateBudget<T extends BudgetSource>(budget: T): T {
  const acquire: BudgetSource['acquire'] = (tenantId, bucket, share) =>
    withSpan(SPAN.budget, { attributes: { [ATTR.tenantId]: tenantId, [ATTR.bucket]: bucket } }, async (span) => {
      const grant = await budget.acquire(tenantId, bucket, share);
      span.setAttribute(ATTR.granted, grant.granted);
      if (!grant.granted) span.setAttribute(ATTR.waitMs, Math.max(0, grant.retryAt - Date.now()));
      return grant;
    });
  return overriding(budget, { acquire });
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
