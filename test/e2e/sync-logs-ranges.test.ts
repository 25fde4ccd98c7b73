import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OktaSim, startOktaSim } from '../../src/okta-sim/index.js';
import type { SimStatsSnapshot } from '../../src/okta-sim/stats.js';
import { asTenantId } from '../../src/shared/ids.js';
import { SqliteStore } from '../../src/shared/store/sqlite-store.js';
import { type Sandbox, createSandbox } from '../helpers/fixtures.js';
import { startCliProcess, stopProcess } from '../helpers/processes.js';
import { addTenant, ids, mutate, simJson, storedObjects, syncAndWait, truthOf } from './sync-harness.js';

/**
 * Issue 13: a first System Log sync over 7 days, where the logs share allows several cursors, is
 * listed as bounded `since`/`until` ranges in parallel and then the polling query for the last
 * minutes; it stores exactly the simulator's events, and the next run polls on from its `next` link.
 */
let sim: OktaSim;
let box: Sandbox;
let workers: ReturnType<typeof startCliProcess>[] = [];

beforeAll(async () => {
  box = createSandbox('sync-logs-ranges');
  // 6 000/min at share 0.5 and ~150 ms a page: several cursors are worth it.
  sim = await startOktaSim({ orgs: 1, users: 50, groups: 1, apps: 1, logs: 6_000, seed: 17, rateLimits: { logs: 6_000 }, latencyMs: 150 });
  const env = box.env({ OKTA_SYNC_MAX_CURSORS: '8', OKTA_SYNC_LOG_FIRST_SYNC_DAYS: '7' });
  workers = [1, 2].map(() => startCliProcess(['worker', '--concurrency', '4'], env));
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

const truthUuids = async () => (await truthOf(sim, 0)).logEvents.map((e) => e.uuid).sort();

describe('System Log first sync in ranges', () => {
  it('stores exactly the org events, then polls on from the next link', { timeout: 120_000 }, async () => {
    // Events of the last minutes too, so the polling part after the ranges has some to read.
    await mutate(sim, 0, [{ op: 'addLogEvents', count: 300, publishedSkewMs: 3_000 }]);
    const [first] = await syncAndWait(box, 'logs', ['logs']);
    const stats = await simJson<SimStatsSnapshot>(sim, 0, '/__sim/stats');
    const truth = await truthUuids();
    const stored = ids(await storedObjects(box, 'logs', 'log_event'));
    expect(stored).toEqual(truth);
    // Ranges were listed at once, and the kept cursor is the polling query's `next` link.
    expect(stats.maxInFlight).toBeGreaterThanOrEqual(3);
    const kept = await cursor();
    expect(kept).toMatch(/\/api\/v1\/logs\?.*after=/);
    expect(kept).not.toContain('until=');
    process.stderr.write(`[logs-ranges] first sync ${JSON.stringify(first!.counters)}, ${truth.length} events, peak ${stats.maxInFlight} in flight\n`);

    await mutate(sim, 0, [{ op: 'addLogEvents', count: 120 }]);
    const [next] = await syncAndWait(box, 'logs', ['logs'], 'incremental');
    expect(ids(await storedObjects(box, 'logs', 'log_event'))).toEqual(await truthUuids());
    // From the cursor: only the new events, no range listed again.
    expect(next!.counters.objects).toBe(120);
    expect(next!.counters.requests).toBeLessThanOrEqual(2);
  });
});
