import { describe, expect, it } from 'vitest';
import { cursorsFor, cutAfter, parseRangeId, planRanges, rangeId, rangeSearch, splitRest } from '../../src/workers/range-plan.js';
import { pageJobSchema } from '../../src/shared/jobs.js';

const at = (ms: number) => new Date(ms).toISOString();

describe('created ranges', () => {
  it('plans contiguous ranges from the oldest to past the newest, the last one open', () => {
    const ranges = planRanges(1_000, 1_999, 4, ['00uA']);
    expect(ranges.map((r) => [r.fromMs, r.toMs, r.open])).toEqual([
      [1_000, 1_250, false],
      [1_250, 1_500, false],
      [1_500, 1_750, false],
      [1_750, 2_000, true],
    ]);
    expect(ranges[0]!.skip).toEqual(['00uA']);
    expect(ranges.slice(1).every((r) => r.skip.length === 0)).toBe(true);
    // A span too short to cut gives fewer ranges, never empty ones.
    expect(planRanges(5, 5, 8)).toHaveLength(1);
  });

  it('round-trips ids that are valid job-id parts and page-job fields', () => {
    for (const range of [...planRanges(1_700_000_000_000, 1_800_000_000_000, 3, ['00uAbc', '00uDef'])]) {
      const id = rangeId(range);
      expect(parseRangeId(id)).toEqual(range);
      expect(id).not.toContain(':');
      expect(pageJobSchema.safeParse({ tenantId: 'acme', runId: 'r1', resource: 'users', mode: 'full', page: 0, url: null, range: id }).success).toBe(true);
    }
    expect(() => parseRangeId('r1_x_2')).toThrow(TypeError);
  });

  it('cuts after a page at its last created, skipping the users it listed there, and halves the rest', () => {
    const items = [
      { id: 'a', created: at(100) },
      { id: 'b', created: at(300) },
      { id: 'c', created: at(300) },
    ];
    const cut = cutAfter(items)!;
    expect(cut).toEqual({ fromMs: 300, skip: ['b', 'c'] });
    const [lower, upper] = splitRest({ gen: 0, fromMs: 0, toMs: 1_300, open: true, skip: [] }, cut)!;
    expect(lower).toEqual({ gen: 1, fromMs: 300, toMs: 800, open: false, skip: ['b', 'c'] });
    expect(upper).toEqual({ gen: 1, fromMs: 800, toMs: 1_300, open: true, skip: [] });
    // Too many sharing the cut to name them: no cut on this page.
    expect(cutAfter([...items, { id: 'd', created: at(300) }])).toBeNull();
    expect(splitRest({ gen: 0, fromMs: 0, toMs: 301, open: false, skip: [] }, cut)).toBeNull();
  });

  it('adds the range to the full run search, open ranges without an upper bound', () => {
    const base = 'lastUpdated gt "1970-01-01T00:00:00.000Z"';
    expect(rangeSearch(base, { gen: 0, fromMs: 0, toMs: 1_000, open: false, skip: [] })).toBe(
      `${base} and created ge "1970-01-01T00:00:00.000Z" and created lt "1970-01-01T00:00:01.000Z"`,
    );
    expect(rangeSearch(base, { gen: 0, fromMs: 0, toMs: 1_000, open: true, skip: [] })).toBe(`${base} and created ge "1970-01-01T00:00:00.000Z"`);
  });

  it('sizes cursors by rate x latency, capped, and one without a stated limit', () => {
    // 600/min at share 0.5 = 5/s; at 500 ms a page 2.5 in flight fill it, with headroom 4.
    expect(cursorsFor({ limitPerMinute: 600, share: 0.5, latencyMs: 500, max: 8 })).toBe(4);
    expect(cursorsFor({ limitPerMinute: 600, share: 0.5, latencyMs: 20, max: 8 })).toBe(1);
    expect(cursorsFor({ limitPerMinute: 1_000_000, share: 0.5, latencyMs: 20, max: 8 })).toBe(8);
    expect(cursorsFor({ limitPerMinute: undefined, share: 0.5, latencyMs: 500, max: 8 })).toBe(1);
  });
});
