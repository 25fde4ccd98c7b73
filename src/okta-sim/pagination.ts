/** Okta cursors are opaque; encoding ours keeps clients from building them out of ids. */
export function encodeCursor(key: string): string {
  return Buffer.from(`c1:${key}`).toString('base64url');
}

export function decodeCursor(cursor: string): string | undefined {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  return text.startsWith('c1:') ? text.slice(3) : undefined;
}

export interface Page<T> {
  items: T[];
  /** Key of the last item when more items follow. */
  nextKey: string | undefined;
}

/** One page of `sorted` (ascending by `key`) after the item whose key is `afterKey`. */
export function pageAfter<T>(sorted: readonly T[], key: (item: T) => string, afterKey: string | undefined, limit: number): Page<T> {
  let lo = 0;
  if (afterKey !== undefined) {
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (key(sorted[mid] as T) <= afterKey) lo = mid + 1;
      else hi = mid;
    }
  }
  const items = sorted.slice(lo, lo + limit);
  const last = items[items.length - 1];
  const more = lo + limit < sorted.length;
  return { items, nextKey: more && last !== undefined ? key(last) : undefined };
}

/**
 * `Link` headers as Okta sends them: one header line per relation, `self` echoing the request
 * and `next` carrying the request's other parameters plus the new cursor.
 */
export function linkHeaders(baseUrl: string, pathname: string, params: URLSearchParams, nextCursor: string | undefined): string[] {
  const self = params.size > 0 ? `${baseUrl}${pathname}?${params}` : `${baseUrl}${pathname}`;
  const links = [`<${self}>; rel="self"`];
  if (nextCursor !== undefined) {
    const next = new URLSearchParams(params);
    next.set('after', nextCursor);
    links.push(`<${baseUrl}${pathname}?${next}>; rel="next"`);
  }
  return links;
}

/** `limit` within [min, max] (min 1 unless the endpoint allows 0), the default when absent; undefined when out of range below. */
export function parseLimit(raw: string | null, fallback: number, max: number, min = 1): number | undefined {
  if (raw === null || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) return undefined;
  const value = Number(raw);
  if (value < min) return undefined;
  // Okta quietly caps an oversized limit rather than refusing it.
  return Math.min(value, max);
}
