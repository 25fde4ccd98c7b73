import type { Resource } from '../../shared/resources.js';
import type { ObjectType, ObjectWrite, SyncMode } from '../../shared/store/sync-store.js';

/** What the page processor needs to know about one resource. */
export interface ResourceSync {
  resource: Resource;
  type: ObjectType;
  /** Largest page Okta allows for this list, used unless a 500 made us shrink it. */
  pageSize: number;
  /** URL of the first page of a run. */
  firstUrl(ctx: FirstPageContext): string;
  /** Okta JSON items → objects to store. */
  toObjects(items: unknown[]): ObjectWrite[];
  /** Watermark to keep after a successful run, or undefined to keep none. */
  nextWatermark?(ctx: { startedAt: string; mode: SyncMode }): string | undefined;
}

export interface FirstPageContext {
  origin: string;
  mode: SyncMode;
  /** The watermark kept by the last successful run, if any. */
  watermark: string | undefined;
  limit: number;
}

/** Okta objects carry `id` and usually `lastUpdated`; anything else is a bad response. */
export function idAndLastUpdated(item: unknown): { id: string; lastUpdated: string | null } {
  const o = item as { id?: unknown; lastUpdated?: unknown };
  if (typeof o?.id !== 'string' || o.id.length === 0) throw new TypeError('Okta item without an id');
  return { id: o.id, lastUpdated: typeof o.lastUpdated === 'string' ? o.lastUpdated : null };
}

/**
 * A list URL with percent-encoded parameters (spaces as %20, not "+": "+" is only a space in
 * form bodies, and filter expressions must reach Okta intact).
 */
export function listUrl(origin: string, path: string, params: Record<string, string>): string {
  const query = Object.entries(params)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');
  return `${origin}${path}${query ? `?${query}` : ''}`;
}
