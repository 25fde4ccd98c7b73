/**
 * Ranges of `created` for a partitioned full users run. `created` never changes, so a user stays
 * in one range for the whole run; the last range has no upper bound, so users created while the
 * run lists land there (or in the next run). A range's id is also a job-id part:
 * `r<generation>_<fromMs>_<toMs>` (`_o` when open above: `toMs` is then only where the plan
 * stopped, used to halve the range), then `_s<id>.<id>` for the users to skip.
 */
export interface CreatedRange {
  /** Times this range was split off another one (0 for the planned ranges). */
  gen: number;
  fromMs: number;
  toMs: number;
  open: boolean;
  /**
   * Ids of users created at exactly `fromMs` that the page before the cut already listed: the
   * range's first page lists them again (`created ge`) and drops them, so none is counted twice.
   */
  skip: string[];
}

/** Splits per range at most: a planned range ends up in at most 2^MAX_SPLIT_GEN pieces. */
export const MAX_SPLIT_GEN = 4;
/**
 * A range that has listed this many users is split whatever the generation: Okta's old cap on
 * paging one search is 50,000 results (OKTA-FACTS), and the split stays well under it.
 */
export const SPLIT_AT_USERS = 40_000;

const ID_PATTERN = /^r(\d{1,2})_(\d{1,15})_(\d{1,15})(_o)?(?:_s([0-9A-Za-z]{1,40}(?:\.[0-9A-Za-z]{1,40})?))?$/;
/** Cuts where more users share the cut's `created` than this wait for a later page. */
export const MAX_SKIP = 2;
const SKIPPABLE = /^[0-9A-Za-z]{1,40}$/;

export function rangeId(range: CreatedRange): string {
  const skip = range.skip.length > 0 ? `_s${range.skip.join('.')}` : '';
  return `r${range.gen}_${range.fromMs}_${range.toMs}${range.open ? '_o' : ''}${skip}`;
}

export function parseRangeId(id: string): CreatedRange {
  const match = ID_PATTERN.exec(id);
  if (!match) throw new TypeError(`not a range id: ${id}`);
  return { gen: Number(match[1]), fromMs: Number(match[2]), toMs: Number(match[3]), open: match[4] !== undefined, skip: match[5]?.split('.') ?? [] };
}

/**
 * `count` ranges of equal width from the oldest to just past the newest `created`, the last one
 * open. Fewer when the span is too short to cut (one user, or all created in the same ms).
 */
export function planRanges(oldestMs: number, newestMs: number, count: number, skip: string[] = []): CreatedRange[] {
  const end = Math.max(newestMs + 1, oldestMs + 1);
  const n = Math.max(1, Math.min(count, end - oldestMs));
  const bounds = Array.from({ length: n + 1 }, (_, i) => oldestMs + Math.floor(((end - oldestMs) * i) / n));
  return bounds.slice(0, n).map((fromMs, i) => ({ gen: 0, fromMs, toMs: bounds[i + 1] as number, open: i === n - 1, skip: i === 0 ? skip : [] }));
}

/**
 * Where the rest of a range starts after a page sorted by `created`: at its last user's `created`
 * (`ge`, so users sharing it that the page did not reach are never lost), skipping those the page
 * did list. Null when too many share it to name them (the caller tries again a page later).
 */
export function cutAfter(items: unknown[]): { fromMs: number; skip: string[] } | null {
  const last = createdMs(items[items.length - 1]);
  if (last === undefined) return null;
  const skip: string[] = [];
  for (const item of items) {
    if (createdMs(item) !== last) continue;
    const id = (item as { id?: unknown }).id;
    if (typeof id !== 'string' || !SKIPPABLE.test(id)) return null;
    skip.push(id);
  }
  return skip.length <= MAX_SKIP ? { fromMs: last, skip } : null;
}

/** The rest of `range` from `cut` on, in two halves; null when there is nothing left to halve. */
export function splitRest(range: CreatedRange, cut: { fromMs: number; skip: string[] }): [CreatedRange, CreatedRange] | null {
  const from = Math.max(range.fromMs, cut.fromMs);
  if (range.toMs - from < 2) return null;
  const mid = from + Math.floor((range.toMs - from) / 2);
  const gen = Math.min(range.gen + 1, 99);
  return [
    { gen, fromMs: from, toMs: mid, open: false, skip: cut.skip },
    { gen, fromMs: mid, toMs: range.toMs, open: range.open, skip: [] },
  ];
}

/** A user's `created` as epoch ms, if it has a valid one. */
export function createdMs(item: unknown): number | undefined {
  const created = (item as { created?: unknown } | undefined)?.created;
  const ms = typeof created === 'string' ? Date.parse(created) : Number.NaN;
  return Number.isFinite(ms) ? ms : undefined;
}

/** The `search` expression of a range, added to the full run's own (which includes DEPROVISIONED users). */
export function rangeSearch(base: string, range: CreatedRange): string {
  const lower = `created ge "${new Date(range.fromMs).toISOString()}"`;
  const bounds = range.open ? lower : `${lower} and created lt "${new Date(range.toMs).toISOString()}"`;
  return base === '' ? bounds : `${base} and ${bounds}`;
}

/**
 * Cursors worth running at once: Okta's sizing rule, concurrency = requests per second × seconds
 * per request, for the tenant's share of the bucket, with 50% headroom for the long tail of page
 * latency; never more than `max` (OKTA_SYNC_MAX_CURSORS, the tenant's in-flight cap).
 */
export function cursorsFor(input: { limitPerMinute: number | undefined; share: number; latencyMs: number; max: number }): number {
  if (input.limitPerMinute === undefined || input.max <= 1) return 1;
  const perSecond = (input.limitPerMinute * input.share) / 60;
  const wanted = Math.ceil(perSecond * (input.latencyMs / 1000) * 1.5);
  return Math.max(1, Math.min(input.max, wanted));
}
