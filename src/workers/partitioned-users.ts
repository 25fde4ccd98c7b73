import type { PageJob } from '../shared/jobs.js';
import type { OktaPage } from '../shared/okta/okta-client.js';
import type { FanOutCoordinator, FanOutStep } from './fan-out.js';
import {
  type CreatedRange,
  MAX_SPLIT_GEN,
  SPLIT_AT_USERS,
  createdMs,
  cursorsFor,
  cutAfter,
  parseRangeId,
  planRanges,
  rangeId,
  rangeSearch,
  splitRest,
} from './range-plan.js';

/** What a partitioned users step needs from the page step it runs inside (bound to one job). */
export interface ChainTools {
  job: PageJob;
  /** The run's first-page URL (the full run's own `search`, which includes DEPROVISIONED users). */
  firstUrl(): Promise<string>;
  fetch(url: string): Promise<OktaPage>;
  /** The page's `next` link, or null; throws on a link that would loop. */
  nextOf(url: string, page: OktaPage): string | null;
  commit(pageKey: string, items: unknown[]): Promise<void>;
  enqueue(job: PageJob): Promise<void>;
  flushStats(): Promise<void>;
  /** Sweep, watermark, final status: the run's end, exactly as an unpartitioned run ends. */
  finish(): Promise<void>;
  /** The System Log polling step as an unpartitioned run takes it (cursor kept, next page or finish). */
  polling(url: string, page: OktaPage): Promise<void>;
  fanOut: FanOutCoordinator;
  /** The tenant's rate share. */
  share: number;
  /** min(OKTA_SYNC_MAX_CURSORS, OKTA_SYNC_TENANT_CONCURRENCY). */
  maxCursors: number;
}

/**
 * True for the jobs this file runs: the first page of a full users run (when more than one cursor
 * is allowed) and every page of a range chain.
 */
export function isPartitionedUsersJob(job: PageJob, maxCursors: number): boolean {
  if (job.resource !== 'users') return false;
  if (job.range !== undefined) return true;
  return maxCursors > 1 && job.mode === 'full' && job.page === 0 && job.parentId === undefined && job.url === null;
}

/**
 * A full users run as ranges of `created`, each its own page chain:
 * - page 0 is the run's own first page, sorted by `created`: if it is the only page the run ends
 *   there (one request). Otherwise its first user is the oldest, one `limit=1` request sorted the
 *   other way finds the newest, the rate budget says how many cursors are worth it, and the rest
 *   (from page 0's last `created` on) is cut into that many ranges;
 * - a range chain pages through its range; while it keeps filling pages and no range is waiting
 *   for a cursor, it hands the rest of its range over as two halves (see `splitRest`).
 * The fan-out coordinator starts the ranges `cursors` at a time and picks, exactly once, the step
 * that finishes the run, after every range's last page is written.
 */
export async function partitionedUsersStep(tools: ChainTools): Promise<void> {
  if (tools.job.range !== undefined) return rangePage(tools, parseRangeId(tools.job.range));
  const base = sorted(await tools.firstUrl(), 'asc');
  const began = Date.now();
  const page = await tools.fetch(base);
  const latencyMs = Date.now() - began;
  await tools.commit('p0', page.items);
  const next = tools.nextOf(base, page);
  if (!next) return tools.finish();
  const oldest = createdMs(page.items[0]);
  const cut = cutAfter(page.items);
  const cursors = cursorsFor({ limitPerMinute: page.rateLimit, share: tools.share, latencyMs, max: tools.maxCursors });
  // One cursor is today's chain. A retry of this page (a crash after the plan was recorded) keeps the plan.
  const keepChain = cursors <= 1 && !(await tools.fanOut.planned(tools.job.runId));
  if (oldest === undefined || cut === null || keepChain) return tools.enqueue(following(tools.job, next));
  const newest = cursors > 1 ? await newestCreated(tools, base) : undefined;
  const ranges = planRanges(cut.fromMs, Math.max(newest ?? cut.fromMs, cut.fromMs), cursors, cut.skip);
  const window = Math.min(cursors, ranges.length);
  await tools.flushStats();
  await advance(tools, window, await tools.fanOut.listingPage(tools.job.runId, 0, ranges.map(rangeId), true, window));
}

async function rangePage(tools: ChainTools, range: CreatedRange): Promise<void> {
  const { job } = tools;
  const id = job.range as string;
  const cursors = job.cursors ?? 1;
  const url = job.url ?? (await rangeUrl(tools, range));
  const page = await tools.fetch(url);
  const fresh = job.page === 0 && range.skip.length > 0 ? page.items.filter((item) => !range.skip.includes((item as { id?: unknown }).id as string)) : page.items;
  await tools.commit(`${id}.p${job.page}`, fresh);
  const next = tools.nextOf(url, page);
  if (!next) {
    await tools.flushStats();
    return advance(tools, cursors, await tools.fanOut.childEnded(job.runId, id, cursors));
  }
  const cut = (await shouldSplit(tools, range, url, page)) ? cutAfter(page.items) : null;
  const halves = cut ? splitRest(range, cut) : null;
  if (!halves) return tools.enqueue(following(job, next));
  await tools.flushStats();
  await advance(tools, cursors, await tools.fanOut.childSplit(job.runId, id, halves.map(rangeId), cursors));
}

/**
 * Split while the range keeps filling pages and every cursor is busy with no range waiting (a
 * split then keeps one range ready for the next free cursor); always once a range has listed
 * SPLIT_AT_USERS users.
 */
async function shouldSplit(tools: ChainTools, range: CreatedRange, url: string, page: OktaPage): Promise<boolean> {
  const limit = tools.job.limit ?? Number(new URL(url).searchParams.get('limit') ?? Number.NaN);
  if (!(page.items.length >= limit)) return false;
  if ((tools.job.page + 1) * page.items.length >= SPLIT_AT_USERS) return true;
  if ((tools.job.cursors ?? 1) <= 1 || range.gen >= MAX_SPLIT_GEN) return false;
  return (await tools.fanOut.waiting(tools.job.runId)) === 0;
}

async function advance(tools: ChainTools, cursors: number, step: FanOutStep): Promise<void> {
  const { job } = tools;
  for (const range of step.start) {
    const first: PageJob = { tenantId: job.tenantId, runId: job.runId, resource: job.resource, mode: job.mode, page: 0, url: null, range, cursors };
    if (job.limit !== undefined) first.limit = job.limit;
    await tools.enqueue(first);
  }
  if (!step.finish) return;
  await tools.finish();
  await tools.fanOut.forget(job.runId);
}

async function newestCreated(tools: ChainTools, ascUrl: string): Promise<number | undefined> {
  const url = new URL(sorted(ascUrl, 'desc'));
  url.searchParams.set('limit', '1');
  const page = await tools.fetch(url.href);
  return createdMs(page.items[0]);
}

async function rangeUrl(tools: ChainTools, range: CreatedRange): Promise<string> {
  const url = new URL(sorted(await tools.firstUrl(), 'asc'));
  url.searchParams.set('search', rangeSearch(url.searchParams.get('search') ?? '', range));
  return percentEncoded(url);
}

function sorted(href: string, order: 'asc' | 'desc'): string {
  const url = new URL(href);
  url.searchParams.set('sortBy', 'created');
  url.searchParams.set('sortOrder', order);
  return percentEncoded(url);
}

/** URLSearchParams writes spaces as "+"; search expressions must reach Okta as %20. */
function percentEncoded(url: URL): string {
  return url.href.replace(/\+/g, '%20');
}

function following(job: PageJob, url: string): PageJob {
  const { yields: _yields, ...rest } = job;
  return { ...rest, page: job.page + 1, url };
}
