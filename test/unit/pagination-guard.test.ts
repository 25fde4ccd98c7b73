import { describe, expect, it } from 'vitest';
import { PaginationLoopError } from '../../src/shared/errors.js';
import type { ChainGuard, PageJob } from '../../src/shared/jobs.js';
import { GUARD_POLICY, guardPage } from '../../src/workers/pagination-guard.js';

const O = 'https://acme.okta.com';
const users = (after?: string) => `${O}/api/v1/users?limit=200${after === undefined ? '' : `&after=${after}`}`;
const job = (page: number, guard?: ChainGuard): PageJob => ({
  tenantId: 't1',
  runId: 'r1',
  resource: 'users',
  mode: 'full',
  page,
  url: null,
  ...(guard ? { guard } : {}),
});
const items = (...ids: string[]) => ids.map((id) => ({ id }));

/** Walks a chain: each step is [url fetched, items, next]; returns the error of the step that failed, if any. */
function walk(steps: [string, unknown[], string | null][], maxPagesPerRun = 1_000): { failedAt?: number; error?: unknown } {
  let guard: ChainGuard | undefined;
  for (const [i, [url, pageItems, next]] of steps.entries()) {
    try {
      guard = guardPage({ data: job(i, guard), runPages: i, url, page: { items: pageItems, nextUrl: next }, maxPagesPerRun });
    } catch (error) {
      return { failedAt: i, error };
    }
  }
  return {};
}

describe('guardPage', () => {
  it('lets an honest chain through', () => {
    const steps: [string, unknown[], string | null][] = Array.from({ length: 30 }, (_, i) => [users(i === 0 ? undefined : `c${i}`), items(`u${2 * i}`, `u${2 * i + 1}`), i === 29 ? null : users(`c${i + 1}`)]);
    expect(walk(steps)).toEqual({});
  });

  it.each<[string, [string, unknown[], string | null][], number]>([
    ['a cycle A → B → A', [[users(), items('1'), users('A')], [users('A'), items('2'), users('B')], [users('B'), items('3'), users('A')]], 2],
    ['a cycle back to the first page', [[users(), items('1'), users('A')], [users('A'), items('2'), users()]], 1],
    [
      'new cursors with the same items (no new ids)',
      [[users(), items('1', '2'), users('A')], [users('A'), items('2', '1'), users('B')]],
      1,
    ],
    [
      'new cursors on empty pages',
      Array.from({ length: 10 }, (_, i): [string, unknown[], string | null] => [users(i === 0 ? undefined : `e${i}`), [], users(`e${i + 1}`)]),
      GUARD_POLICY.maxEmptyPages - 1,
    ],
  ])('fails %s as pagination_loop', (_name, steps, failedAt) => {
    const out = walk(steps);
    expect(out.failedAt).toBe(failedAt);
    expect(out.error).toBeInstanceOf(PaginationLoopError);
    expect((out.error as PaginationLoopError).code).toBe('pagination_loop');
  });

  it('an empty page between full ones is not a loop', () => {
    expect(walk([[users(), items('1'), users('A')], [users('A'), [], users('B')], [users('B'), items('2'), null]])).toEqual({});
  });

  it('a System Log polling query may end on an empty page that repeats its cursor', () => {
    const logs = (after: string) => `${O}/api/v1/logs?since=2026-01-01T00%3A00%3A00Z&limit=1000&after=${after}`;
    expect(walk([[logs('a'), [{ uuid: 'e1' }], logs('b')], [logs('b'), [], logs('b')]])).toEqual({});
  });

  it('stops a run at OKTA_SYNC_MAX_PAGES_PER_RUN, even with new ids on every page', () => {
    const steps = Array.from({ length: 20 }, (_, i): [string, unknown[], string | null] => [users(`c${i}`), items(`u${i}`), users(`c${i + 1}`)]);
    const out = walk(steps, 5);
    expect(out.failedAt).toBe(5);
    expect((out.error as Error).message).toContain('OKTA_SYNC_MAX_PAGES_PER_RUN');
  });

  it('keeps a bounded window of digests, never the cursors themselves', () => {
    let guard: ChainGuard | undefined;
    for (let i = 0; i < 50; i++) {
      guard = guardPage({ data: job(i, guard), runPages: i, url: users(`secret-cursor-${i}`), page: { items: items(`u${i}`), nextUrl: users(`secret-cursor-${i + 1}`) }, maxPagesPerRun: 1_000 });
    }
    expect(guard?.cursors).toHaveLength(GUARD_POLICY.window);
    expect(guard?.pages).toHaveLength(GUARD_POLICY.window);
    expect(JSON.stringify(guard)).not.toContain('secret-cursor');
  });
});
