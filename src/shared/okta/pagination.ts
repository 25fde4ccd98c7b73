import { nextLink } from './link-header.js';
import { OktaError } from './okta-errors.js';

/**
 * Pagination rules (OKTA-FACTS "Pagination"): follow `rel="next"` exactly as sent, never build a
 * cursor; the list ends when there is no `next`. A `next` that repeats the request's cursor is a
 * loop and fails as `okta_pagination_loop`, except on an empty page of a System Log polling query,
 * where Okta always sends a `next` (the caller stops on the empty page and keeps the link as its
 * cursor).
 */

/** The page's `next` URL, or null at the end of the list. Throws on a loop or a foreign origin. */
export function nextPageUrl(request: URL, linkHeader: string | string[] | undefined, itemCount: number): string | null {
  const raw = nextLink(linkHeader);
  if (raw === null) return null;
  let next: URL;
  try {
    next = new URL(raw, request);
  } catch (cause) {
    throw new OktaError('okta_bad_response', `unparsable next link from ${request.pathname}`, { path: request.pathname }, { cause });
  }
  // A token is only ever sent to its own tenant's origin, whatever a Link header says.
  if (next.origin !== request.origin) {
    throw new OktaError('okta_bad_response', `refusing to follow a next link to another origin (${next.origin})`, { path: request.pathname });
  }
  if (sameCursor(request, next) && !(itemCount === 0 && isPollingQuery(request))) {
    throw new OktaError('okta_pagination_loop', `Okta sent the same next cursor twice on ${request.pathname}`, { path: request.pathname });
  }
  // Absolute links are returned byte for byte; a relative one is resolved against the request.
  return /^https?:\/\//i.test(raw) ? raw : next.href;
}

/** True when `next` would fetch what `request` fetched: the same URL, or the same `after` cursor on the same path. */
export function sameCursor(request: URL, next: URL): boolean {
  if (request.href === next.href) return true;
  const after = next.searchParams.get('after');
  return after !== null && next.pathname === request.pathname && after === request.searchParams.get('after');
}

/**
 * A System Log polling query: `/api/v1/logs` without `until`. Ordered by persistence time and
 * never exhausted: every page, even an empty one, carries a `next` link to poll later.
 */
export function isPollingQuery(url: URL | string): boolean {
  const u = typeof url === 'string' ? new URL(url) : url;
  return u.pathname === '/api/v1/logs' && !u.searchParams.has('until');
}
