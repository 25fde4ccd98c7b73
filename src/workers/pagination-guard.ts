import { createHash } from 'node:crypto';
import { PaginationLoopError } from '../shared/errors.js';
import type { ChainGuard, PageJob } from '../shared/jobs.js';
import type { OktaPage } from '../shared/okta/okta-client.js';
import { isPollingQuery } from '../shared/okta/pagination.js';

/**
 * Pagination that never converges is bounded here, per chain and per run (issue 14). The client
 * already refuses a `next` equal to the request's own cursor; an org can still cycle (A → B → A),
 * mint a new cursor for every page while sending the same items, or mint new cursors on empty
 * pages forever. Each page job carries a small window of what its chain saw (`PageJob.guard`):
 * digests of recent cursors and of recent pages' id sets, and a count of empty pages in a row.
 * What the window cannot see (a cycle longer than it, an endless org of new ids) the run's page
 * cap (`OKTA_SYNC_MAX_PAGES_PER_RUN`) stops.
 */
export const GUARD_POLICY = {
  /** Cursors and page digests remembered per chain (each ~10 characters in the job data). */
  window: 10,
  /** Empty pages in a row that still carry a `next` link: at this count the chain is a loop. */
  maxEmptyPages: 3,
} as const;

export interface GuardInput {
  data: PageJob;
  /** Pages the run had committed when this job started (every chain counted). */
  runPages: number;
  /** The URL this page was fetched from. */
  url: string;
  page: OktaPage;
  maxPagesPerRun: number;
}

/**
 * Checks one fetched page; returns the window to carry to the chain's next page. Throws
 * `PaginationLoopError` when the run has too many pages or the chain is going round.
 */
export function guardPage(input: GuardInput): ChainGuard {
  const { data, page, url } = input;
  if (input.runPages + 1 > input.maxPagesPerRun) {
    throw new PaginationLoopError(`run has reached OKTA_SYNC_MAX_PAGES_PER_RUN (${input.maxPagesPerRun} pages)`);
  }
  const seen = data.guard ?? { cursors: [], pages: [], empty: 0 };
  const here = cursorDigest(url);
  const next = page.nextUrl;
  // The end of a chain, or a polling query that caught up: nothing more will be fetched.
  if (next === null || (page.items.length === 0 && isPollingQuery(url))) return seen;
  if (next === url || seen.cursors.includes(cursorDigest(next)) || cursorDigest(next) === here) {
    throw new PaginationLoopError(`${pathOf(url)}: the next cursor was already visited on page ${data.page} (a cycle)`);
  }
  const empty = page.items.length === 0 ? seen.empty + 1 : 0;
  if (empty >= GUARD_POLICY.maxEmptyPages) {
    throw new PaginationLoopError(`${pathOf(url)}: ${empty} empty pages in a row, each with a new cursor`);
  }
  const digest = page.items.length === 0 ? undefined : idsDigest(page.items);
  if (digest !== undefined && seen.pages.includes(digest)) {
    throw new PaginationLoopError(`${pathOf(url)}: page ${data.page} holds the same items as a recent page (no progress)`);
  }
  return {
    cursors: [...seen.cursors, here].slice(-GUARD_POLICY.window),
    pages: digest === undefined ? seen.pages : [...seen.pages, digest].slice(-GUARD_POLICY.window),
    empty,
  };
}

/** A cursor's identity: its `after` value (cursors are opaque), else the whole URL. */
export function cursorDigest(url: string): string {
  const u = new URL(url);
  const after = u.searchParams.get('after');
  return digest(after === null ? `u:${u.pathname}?${[...u.searchParams].sort().join('&')}` : `a:${u.pathname}:${after}`);
}

/** The set of ids on a page (`id`, or `uuid` for System Log events); undefined if items have none. */
export function idsDigest(items: readonly unknown[]): string | undefined {
  const ids: string[] = [];
  for (const item of items) {
    const o = item as { id?: unknown; uuid?: unknown } | null;
    const id = typeof o?.id === 'string' ? o.id : typeof o?.uuid === 'string' ? o.uuid : undefined;
    if (id !== undefined) ids.push(id);
  }
  return ids.length === 0 ? undefined : digest(ids.sort().join('\n'));
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, 10);
}

function pathOf(url: string): string {
  return new URL(url).pathname;
}
