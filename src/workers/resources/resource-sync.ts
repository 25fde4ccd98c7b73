import type { Resource } from '../../shared/resources.js';
import type { ObjectType, ObjectWrite, SyncMode } from '../../shared/store/sync-store.js';

/**
 * What the page processor needs to know about one resource. A run is a chain of pages of one
 * list (`firstUrl`, then `next` links); a resource with `fanOut` also runs a chain per listed
 * parent (members of each group, users of each app), a few at a time.
 */
export interface ResourceSync {
  resource: Resource;
  /** The object type the listing's pages write (memberships: none are written by the group listing). */
  type: ObjectType;
  /** Largest page Okta allows (or recommends) for this list, used unless a 500 made us shrink it. */
  pageSize: number;
  /** URL of the first page of a run. */
  firstUrl(ctx: FirstPageContext): string;
  /** Okta JSON items → objects to store. */
  toObjects(items: unknown[]): ObjectWrite[];
  /** Types a full run sweeps at its end: objects of these types it did not write are marked deleted. */
  sweepTypes: readonly ObjectType[];
  /** Watermark to keep after a successful run, or undefined to keep none. */
  nextWatermark?(ctx: { startedAt: string; mode: SyncMode }): string | undefined;
  /**
   * A polling list (System Log): the chain ends on an empty page (the `next` link is always there),
   * and after every page its `next` link is kept as the watermark, the cursor of the next run.
   */
  polling?: boolean;
  /** Child chains under each parent the listing finds. */
  fanOut?: FanOutSpec;
}

export interface FanOutSpec {
  /** The object type child pages write. */
  type: ObjectType;
  pageSize: number;
  /**
   * Which parents on a listing page get a child chain (`list`), and which changed but are known
   * to be empty (`empty`: no request needed; an incremental run sweeps their children).
   */
  children(items: unknown[], mode: SyncMode): { list: string[]; empty: string[] };
  childUrl(origin: string, parentId: string, limit: number): string;
  /** Child items → objects, whose oktaIds all start with `${parentId}:`. */
  toObjects(parentId: string, items: unknown[]): ObjectWrite[];
  /**
   * True when an incremental run re-lists a changed parent completely, so at the end of its chain
   * the parent's children not seen are gone (removed memberships are visible only as absence).
   */
  sweepsParentInIncremental: boolean;
}

export interface FirstPageContext {
  origin: string;
  mode: SyncMode;
  /** The watermark kept by the last successful run, if any. */
  watermark: string | undefined;
  limit: number;
  /** Now, epoch ms (System Log first-sync window). */
  now: number;
  /** How far back a first System Log sync starts (`OKTA_SYNC_LOG_FIRST_SYNC_DAYS`). */
  logFirstSyncDays: number;
  /** Records a run warning (an adjusted request, say); optional so callers without a run can omit it. */
  warn?(message: string): void;
}

/** Incremental windows overlap this much: Okta's search is eventually consistent and clocks drift. */
export const INCREMENTAL_OVERLAP_MS = 5 * 60_000;

/** Lower bound of an incremental window: the last run's start minus the overlap, or the epoch. */
export function incrementalSince(mode: SyncMode, watermark: string | undefined): string {
  const ms = mode === 'incremental' && watermark ? Date.parse(watermark) - INCREMENTAL_OVERLAP_MS : 0;
  return new Date(Number.isFinite(ms) ? ms : 0).toISOString();
}

/**
 * An Okta object's `id` and `lastUpdated`, or undefined without an id. The spec marks no field
 * required, so an item without one is skipped (and the page step records a run warning) rather
 * than failing the run: one odd object must not cost the customer the whole sync.
 */
export function idAndLastUpdated(item: unknown): { id: string; lastUpdated: string | null } | undefined {
  const o = item as { id?: unknown; lastUpdated?: unknown } | null;
  if (typeof o?.id !== 'string' || o.id.length === 0) return undefined;
  return { id: o.id, lastUpdated: typeof o.lastUpdated === 'string' ? o.lastUpdated : null };
}

/** The ids of the items that have one, in order. */
export function idsOf(items: unknown[]): string[] {
  return items.flatMap((item) => idAndLastUpdated(item)?.id ?? []);
}

/** Items as stored objects keyed by their Okta id (items without one are left out). */
export function byOktaId(items: unknown[]): ObjectWrite[] {
  return items.flatMap((item) => {
    const key = idAndLastUpdated(item);
    return key ? [{ oktaId: key.id, data: item, oktaLastUpdated: key.lastUpdated }] : [];
  });
}

/** How many items lack their key (`id`; `uuid` for System Log events). */
export function itemsWithoutKey(items: unknown[], key: 'id' | 'uuid'): number {
  return items.filter((item) => {
    const value = (item as Record<string, unknown> | null)?.[key];
    return typeof value !== 'string' || value.length === 0;
  }).length;
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
