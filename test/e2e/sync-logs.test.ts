import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OktaSim, startOktaSim } from '../../src/okta-sim/index.js';
import { asTenantId } from '../../src/shared/ids.js';
import { SqliteStore } from '../../src/shared/store/sqlite-store.js';
import type { RunRecord } from '../../src/shared/store/sync-store.js';
import { createSandbox, type Sandbox } from '../helpers/fixtures.js';
import { startCliProcess, stopProcess } from '../helpers/processes.js';
import { addTenant, ids, mutate, storedObjects, syncAndWait, truthOf } from './sync-harness.js';

/**
 * System Log polling with real workers: three runs while events keep arriving (between runs and
 * during one) leave exactly the org's events stored, each read once across the runs, and the
 * cursor kept between runs is Okta's `next` link.
 */
let sim: OktaSim;
let box: Sandbox;
let workers: ReturnType<typeof startCliProcess>[] = [];

beforeAll(async () => {
  box = createSandbox('sync-logs');
  // Small pages so each run walks several pages and the cursor moves page by page.
  sim = await startOktaSim({ orgs: 1, users: 50, groups: 3, apps: 1, logs: 2_500, seed: 11, rateLimits: 'unlimited', faults: { latencyMs: { min: 5, max: 15 } } });
  workers = [1, 2].map(() => startCliProcess(['worker', '--concurrency', '4'], box.env({ OKTA_SYNC_LOG_FIRST_SYNC_DAYS: '2' })));
  await addTenant(box, sim, 'logs', 0);
});

afterAll(async () => {
  await Promise.all(workers.map((w) => stopProcess(w)));
  await sim?.close();
  box?.cleanup();
});

async function cursor(): Promise<string | undefined> {
  const store = new SqliteStore(box.storePath);
  try {
    return await store.getWatermark(asTenantId('logs'), 'logs');
  } finally {
    await store.close();
  }
}

async function expectAllEventsOnce(runs: RunRecord[]): Promise<void> {
  const truth = (await truthOf(sim, 0)).logEvents.map((e) => e.uuid);
  expect(new Set(truth).size).toBe(truth.length);
  expect(ids(await storedObjects(box, 'logs', 'log_event'))).toEqual([...truth].sort());
  // Each event read by exactly one run: no page re-read, no overlap between runs.
  expect(runs.reduce((n, r) => n + r.counters.objects, 0)).toBe(truth.length);
}

describe('System Log polling', () => {
  it('three runs while events keep arriving: no gaps, no duplicates, the next link as cursor', async () => {
    const runs: RunRecord[] = [];
    runs.push(...(await syncAndWait(box, 'logs', ['logs'])));
    // 2 500 events at 1 000 a page, then an empty page that ends the run.
    expect(runs[0]!.counters.pages).toBe(4);
    await expectAllEventsOnce(runs);
    const first = await cursor();
    expect(first).toMatch(/\/api\/v1\/logs\?.*after=/);
    expect(first).not.toContain('until=');

    await mutate(sim, 0, [{ op: 'addLogEvents', count: 1_200, publishedSkewMs: 5_000 }]);
    // Events keep arriving while the second run polls.
    let adding = true;
    const adder = (async () => {
      while (adding) {
        await mutate(sim, 0, [{ op: 'addLogEvents', count: 40, publishedSkewMs: 3_000 }]);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    try {
      runs.push(...(await syncAndWait(box, 'logs', ['logs'], 'incremental')));
    } finally {
      adding = false;
      await adder;
    }
    expect(runs[1]!.counters.objects).toBeGreaterThanOrEqual(1_200);
    expect(await cursor()).not.toBe(first);

    await mutate(sim, 0, [{ op: 'addLogEvents', count: 300, eventType: 'user.session.end' }]);
    runs.push(...(await syncAndWait(box, 'logs', ['logs'])));
    await expectAllEventsOnce(runs);
    expect(runs[2]!.counters.objects).toBeGreaterThanOrEqual(300);
  });

  it('a run with nothing new costs one request and keeps its cursor', async () => {
    const before = await cursor();
    const [run] = await syncAndWait(box, 'logs', ['logs']);
    expect(run!.counters).toMatchObject({ requests: 1, objects: 0, pages: 1 });
    expect(await cursor()).toBe(before);
  });
});
