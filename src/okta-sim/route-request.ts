import type { OrgStore } from './org-store.js';

/** What a management API route gets: the org's data and the parsed request. */
export interface RouteRequest {
  store: OrgStore;
  /** The raw request target (path and query), the key of cached pages. */
  target: string;
  pathname: string;
  params: URLSearchParams;
  /** `:name` segments of the matched route. */
  pathParams: Record<string, string>;
  nowMs: number;
}

export function pathParam(req: RouteRequest, name: string): string {
  return req.pathParams[name] ?? '';
}
