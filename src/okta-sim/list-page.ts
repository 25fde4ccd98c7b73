import { jsonArray } from './org-store.js';
import { decodeCursor, encodeCursor, linkHeaders, pageAfter, parseLimit } from './pagination.js';
import { type Reply, oktaError, rawJsonReply } from './reply.js';
import type { RouteRequest } from './route-request.js';

/**
 * Shared shape of every list route: cached page, limit, opaque cursor, Link headers. A `q`
 * (prefix search) answer is one page and never has a `next` link; `after` beside `q` is refused.
 */
export function listPage<T>(req: RouteRequest, limits: { fallback: number; max: number }, select: () => T[] | Reply, key: (item: T) => string, toJson: (item: T) => string): Reply {
  const cached = req.store.pages.get(req.target);
  if (cached) return cached;
  const limit = parseLimit(req.params.get('limit'), limits.fallback, limits.max);
  if (limit === undefined) return oktaError(400, 'E0000001', 'limit: must be a positive integer');
  const after = req.params.get('after');
  const q = req.params.has('q');
  if (q && after !== null) return oktaError(400, 'E0000031', 'q does not paginate: after is not supported with q');
  const afterKey = after === null ? undefined : decodeCursor(after);
  if (after !== null && afterKey === undefined) return oktaError(400, 'E0000001', 'after: invalid cursor');
  const selected = select();
  if (!Array.isArray(selected)) return selected;
  const page = pageAfter(selected, key, afterKey, limit);
  const next = page.nextKey === undefined || q ? undefined : encodeCursor(page.nextKey);
  const link = linkHeaders(req.store.baseUrl, req.pathname, req.params, next);
  const reply: Reply = { ...rawJsonReply(200, jsonArray(page.items.map(toJson)), { link }), pageLimit: limit };
  req.store.cachePage(req.target, reply);
  return reply;
}
