import { describe, expect, it } from 'vitest';
import { logsSync } from '../../src/workers/resources/logs.js';

const NOW = Date.parse('2026-06-01T00:00:00.000Z');
const DAY = 86_400_000;

describe('System Log since and retention', () => {
  it.each([
    [7, 7, false],
    [89, 89, false],
    [90, 89, true],
  ])('a first sync %i days back asks since %i days back (warning: %s)', (days, expectedDays, warned) => {
    const warnings: string[] = [];
    const url = new URL(logsSync.firstUrl({ origin: 'https://a.okta.com', mode: 'full', watermark: undefined, limit: 1000, now: NOW, logFirstSyncDays: days, warn: (m) => warnings.push(m) }));
    expect(url.searchParams.get('since')).toBe(new Date(NOW - expectedDays * DAY).toISOString());
    expect(warnings).toEqual(warned ? [expect.stringContaining('clamped to 89 days')] : []);
  });

  it('a kept cursor is followed as it is', () => {
    const watermark = 'https://a.okta.com/api/v1/logs?since=2026-01-01T00%3A00%3A00.000Z&limit=1000&after=abc';
    expect(logsSync.firstUrl({ origin: 'https://a.okta.com', mode: 'full', watermark, limit: 1000, now: NOW, logFirstSyncDays: 90 })).toBe(watermark);
  });
});
