import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OktaSim, startOktaSim } from '../../src/okta-sim/index.js';
import { createSandbox, type Sandbox } from '../helpers/fixtures.js';
import { addTenant, bucketFigures, syncAndWait, withWorkers } from './rate-harness.js';

/**
 * Issue 5 acceptance, share 0.5: with users, groups and memberships syncing at once (memberships
 * fan out into parallel child chains, which Okta counts in the groups bucket), no window of any bucket ever sees
 * more than 50% of its limit from us, asserted from the simulator's per-window counters.
 */
const WINDOW_SECONDS = 5;
// Members come 200 a page (about 230 groups-bucket requests here), so the groups bucket is larger.
const LIMITS = { users: 40, groups: 120 };

let sim: OktaSim;
let box: Sandbox;

beforeAll(async () => {
  box = createSandbox('rate-share');
  sim = await startOktaSim({ users: 6_000, groups: 40, apps: 1, logs: 1, seed: 9, rateLimits: LIMITS, rateWindowSeconds: WINDOW_SECONDS });
});

afterAll(async () => {
  await sim?.close();
  box?.cleanup();
});

describe('rate budget with share 0.5', () => {
  it('never lets a window see more than half its limit from us, in any bucket', { timeout: 90_000 }, async () => {
    await addTenant(box, sim, 'half');
    const runs = await withWorkers(box, 3, 4, { OKTA_SYNC_RATE_SHARE: '0.5' }, () => syncAndWait(box, 'half', ['users', 'groups', 'memberships'], 80_000));
    for (const run of runs) expect(run.status, `${run.resource}: ${JSON.stringify(run.error)}`).toBe('succeeded');
    for (const bucket of ['users', 'groups'] as const) {
      const { stats, figures } = await bucketFigures(sim, bucket, 0.5, `share 0.5, ${bucket}`);
      const windows = stats.windows[bucket] ?? [];
      // The budget, not slowness, held the rate: several windows, and whole ones were spent to the allowance.
      expect(windows.length).toBeGreaterThanOrEqual(2);
      expect(Math.max(...windows.map((w) => w.used))).toBe(LIMITS[bucket] / 2);
      for (const w of windows) {
        expect(w.used, `window at ${w.startedAtMs}`).toBeLessThanOrEqual(w.limit * 0.5);
        expect(w.rejected).toBe(0);
      }
      expect(figures.maxWindowShare).toBeLessThanOrEqual(0.5);
    }
  });
});
