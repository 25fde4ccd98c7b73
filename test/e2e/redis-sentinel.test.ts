import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/cli/private-redis.js';
import { startOktaSim, type OktaSim } from '../../src/okta-sim/index.js';
import { createSandbox, type Sandbox } from '../helpers/fixtures.js';
import { stopProcess, waitFor } from '../helpers/processes.js';
import { type RedisSentinelFixture, startRedisSentinel, topologyToolsAvailable } from '../helpers/redis-topologies.js';
import { probe, scenario, type Worker } from '../helpers/sync-scenario.js';

/**
 * Issue 18: the service on a Sentinel-managed primary (REDIS_SENTINELS + REDIS_SENTINEL_NAME).
 * The primary is SIGKILLed mid-run; the sentinels promote the replica; the same worker processes
 * (no restart) find the new primary through the sentinels and both runs finish with exact data.
 */
const tools = topologyToolsAvailable();
if (!tools.ok) console.warn(`[redis sentinel e2e] skipped: ${tools.missing.join(', ')} not on PATH (apt-get install -y redis-server redis-sentinel redis-tools)`);
const USERS = 2_000;
let sim: OktaSim;
let box: Sandbox;
let sentinel: RedisSentinelFixture;

beforeAll(async () => {
  if (!tools.ok) return;
  box = createSandbox('redis-sentinel');
  sentinel = await startRedisSentinel();
  sim = await startOktaSim({ orgs: 2, users: USERS, groups: 1, apps: 1, logs: 1, seed: 19, rateLimits: 'unlimited' });
}, 120_000);

afterAll(async () => {
  await sim?.close();
  await sentinel?.stop();
  box?.cleanup();
});

describe.skipIf(!tools.ok)(tools.ok ? 'Redis Sentinel failover' : 'Redis Sentinel failover (skipped: redis-sentinel/redis-cli missing)', () => {
  it('the primary dies mid-run, the replica is promoted, workers reconnect without a restart and the runs are exact', async () => {
    const s = scenario(sim, box, () => box.env({ REDIS_URL: 'redis://127.0.0.1:1', ...sentinel.env }));
    await s.addTenant('s1', 0);
    await s.addTenant('s2', 1);
    // Slow pages (10 per run) so that the failover lands mid-run.
    for (const i of [0, 1]) await s.setFaults(i, { latencyMs: { min: 300, max: 400 } });
    const port = await freePort();
    const workers: Worker[] = [s.startWorker(2, { METRICS_PORT: String(port) }), s.startWorker(2)];
    try {
      await waitFor(async () => (await probe(port, '/readyz'))?.status === 200, 60_000, 'worker ready through the sentinels');
      const runs = [await s.startSync('s1'), await s.startSync('s2')];
      const before = await s.waitForPages(runs[0]!, 3);
      expect(before.status).toBe('running');
      expect(await sentinel.primaryPort()).toBe(sentinel.primary.port);

      await sentinel.primary.kill();
      await waitFor(async () => (await sentinel.primaryPort().catch(() => 0)) === sentinel.replica.port, 60_000, 'the sentinels promote the replica');

      for (const [i, runId] of runs.entries()) {
        const run = await s.waitForFinal(runId, 120_000);
        expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
        expect(run.counters.objects).toBe(USERS);
        await s.expectExactUsers(`s${i + 1}`, i);
      }
      await waitFor(async () => (await probe(port, '/readyz'))?.status === 200, 20_000, '/readyz 200 on the new primary');
      for (const w of workers) expect(w.exitCode, w.output()).toBeNull();
    } finally {
      await s.close();
      for (const i of [0, 1]) await s.setFaults(i, {});
      await Promise.all(workers.map((w) => stopProcess(w)));
    }
  }, 300_000);
});
