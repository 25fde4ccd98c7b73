import type { PageJob } from '../shared/jobs.js';
import type { FanOutStep } from './fan-out.js';
import type { ChainTools } from './partitioned-users.js';
import { cursorsFor, parseRangeId, planRanges, rangeId } from './range-plan.js';

/**
 * The part of a first System Log sync older than this is listed as bounded ranges; the rest by
 * the polling query. Okta persists an event within seconds of its `published` time, so once this
 * much time has passed, a bounded query over it has everything it will ever have.
 */
export const SETTLED_MS = 5 * 60_000;
/**
 * The ranges start this far before the last `published` on the first page: the first page is in
 * persistence order, so events published a little earlier may come after it. Listed twice at
 * most, stored once (keyed by `uuid`).
 */
export const PERSIST_LAG_MS = 10_000;

/** The first page of a first System Log sync (no cursor yet), and every page of its ranges. */
export function isPartitionedLogsJob(job: PageJob, maxCursors: number): boolean {
  if (job.resource !== 'logs') return false;
  if (job.range !== undefined) return true;
  return maxCursors > 1 && job.page === 0 && job.url === null && job.parentId === undefined;
}

/**
 * A first System Log sync over several cursors, when the logs share allows more than one:
 * - page 0 is the run's polling query. A cursor kept by an earlier run, a page that is not full
 *   or a share worth one cursor: the run goes on as an unpartitioned one;
 * - otherwise `[last published on page 0 − PERSIST_LAG_MS, now − SETTLED_MS)` is cut into bounded
 *   `since`/`until` ranges listed in parallel (ordered by `published`, `next` only while events
 *   remain), and when the last range ends the polling query starts at the ranges' end: its `next`
 *   link is the cursor kept for the next run, as today. No cursor is kept before every range is
 *   listed, so a run that fails part-way leaves the next run to start over, not to skip.
 */
export async function partitionedLogsStep(tools: ChainTools): Promise<void> {
  if (tools.job.range !== undefined) return rangePage(tools, tools.job.range);
  const url = await tools.firstUrl();
  const began = Date.now();
  const page = await tools.fetch(url);
  const latencyMs = Date.now() - began;
  await tools.commit('p0', page.items);
  const params = new URL(url).searchParams;
  const limit = tools.job.limit ?? Number(params.get('limit'));
  const since = Date.parse(params.get('since') ?? '');
  const cursors = cursorsFor({ limitPerMinute: page.rateLimit, share: tools.share, latencyMs, max: tools.maxCursors });
  const lastPublished = Math.max(...page.items.map(publishedMs));
  const from = Math.max(since, lastPublished - PERSIST_LAG_MS);
  const pollFrom = Date.now() - SETTLED_MS;
  const resumed = params.has('after');
  const partition = !resumed && page.items.length >= limit && cursors > 1 && Number.isFinite(from) && pollFrom - from > cursors;
  if (!partition && !(await tools.fanOut.planned(tools.job.runId))) return tools.polling(url, page);
  const ranges = planRanges(from, pollFrom - 1, cursors).map((r) => ({ ...r, open: false }));
  await tools.flushStats();
  const step = await tools.fanOut.listingPage(tools.job.runId, 0, ranges.map(rangeId), true, ranges.length);
  // Every range starts at once; a retry gets the first attempt's, whose end is where polling starts.
  const end = Math.max(...step.start.map((id) => parseRangeId(id).toMs));
  await advance(tools, Math.max(1, step.start.length), Number.isFinite(end) ? end : pollFrom, step);
}

async function rangePage(tools: ChainTools, id: string): Promise<void> {
  const { job } = tools;
  const range = parseRangeId(id);
  const url = job.url ?? boundedUrl(await tools.firstUrl(), range.fromMs, range.toMs);
  const page = await tools.fetch(url);
  await tools.commit(`${id}.p${job.page}`, page.items);
  const next = tools.nextOf(url, page);
  if (next) return tools.enqueue({ ...withoutYields(job), page: job.page + 1, url: next });
  await tools.flushStats();
  const cursors = job.cursors ?? 1;
  await advance(tools, cursors, job.pollFrom ?? range.toMs, await tools.fanOut.childEnded(job.runId, id, cursors));
}

/** Starts the ranges handed over; after the last one, the polling query from `pollFrom` (page 1 of the run's own chain). */
async function advance(tools: ChainTools, cursors: number, pollFrom: number, step: FanOutStep): Promise<void> {
  const { job } = tools;
  const base = { tenantId: job.tenantId, runId: job.runId, resource: job.resource, mode: job.mode };
  for (const range of step.start) await tools.enqueue({ ...base, page: 0, url: null, range, cursors, pollFrom });
  if (!step.finish) return;
  await tools.fanOut.forget(job.runId);
  const first = new URL(await tools.firstUrl());
  first.searchParams.set('since', new Date(pollFrom).toISOString());
  await tools.enqueue({ ...base, page: 1, url: first.href });
}

function boundedUrl(firstUrl: string, fromMs: number, toMs: number): string {
  const url = new URL(firstUrl);
  url.searchParams.delete('after');
  url.searchParams.set('since', new Date(fromMs).toISOString());
  url.searchParams.set('until', new Date(toMs).toISOString());
  return url.href;
}

function withoutYields(job: PageJob): PageJob {
  const { yields: _yields, ...rest } = job;
  return rest;
}

function publishedMs(event: unknown): number {
  const published = (event as { published?: unknown } | undefined)?.published;
  const ms = typeof published === 'string' ? Date.parse(published) : Number.NaN;
  return Number.isFinite(ms) ? ms : Number.NEGATIVE_INFINITY;
}
