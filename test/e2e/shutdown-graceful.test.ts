import { type Job, type Queue, QueueEvents } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/cli/private-redis.js';
import { startOktaSim, type OktaSim } from '../../src/okta-sim/index.js';
import { SYNC_QUEUE } from '../../src/shared/jobs.js';
import { openSyncQueue } from '../../src/shared/queue.js';
import { createRedis, keyPrefix, type Redis } from '../../src/shared/redis.js';
import { createSandbox, type Sandbox } from '../helpers/fixtures.js';
import { stopProcess, waitFor } from '../helpers/processes.js';
import { exited, probe, scenario, type Worker } from '../helpers/sync-scenario.js';

/**
 * Issue 9: draining a worker with real processes. One worker takes a page whose Okta call is slow;
 * a SIGTERM must flip /readyz to 503 first, let that page finish and exit 0 (nothing stalls); a
 * second signal, or the grace running out, exits 1 at once and the page is re-run elsewhere.
 */
let sim: OktaSim;
let box: Sandbox;
let connections: Redis[] = [];
let queue: Queue;
let events: QueueEvents;
const stalled: string[] = [];

beforeAll(async () => {
  box = createSandbox('shutdown');
  // 600 users = 3 pages of 200 per run: enough for "mid-run", short enough for CI.
  sim = await startOktaSim({ orgs: 3, users: 600, groups: 1, apps: 1, logs: 1, seed: 9, rateLimits: 'unlimited' });
  connections = [createRedis(box.redisUrl), createRedis(box.redisUrl)];
  queue = openSyncQueue(connections[0]!, box.queuePrefix);
  events = new QueueEvents(SYNC_QUEUE, { connection: connections[1]!, prefix: keyPrefix(box.queuePrefix) });
  events.on('stalled', ({ jobId }) => stalled.push(jobId));
  await events.waitUntilReady();
});

afterAll(async () => {
  await events?.close();
  await queue?.obliterate({ force: true }).catch(() => undefined);
  await queue?.close();
  for (const c of connections) c.disconnect();
  await sim?.close();
  box?.cleanup();
});

/** Waits until the run's page `page` is active, and returns it as soon as it is (its Okta call has just begun). */
async function pageBecomesActive(runId: string, page: number): Promise<Job> {
  const id = `${runId}.p${page}`;
  return waitFor(
    async () => {
      const active = await queue.getActive();
      return active.find((j) => j.id === id);
    },
    30_000,
    `page ${page} active`,
  );
}

async function readyWorker(s: ReturnType<typeof scenario>, overrides: Record<string, string>): Promise<{ worker: Worker; port: number }> {
  const port = await freePort();
  const worker = s.startWorker(1, { METRICS_PORT: String(port), LOG_LEVEL: 'info', ...overrides });
  await waitFor(async () => (await probe(port, '/readyz'))?.status === 200, 30_000, 'worker /readyz 200');
  return { worker, port };
}

describe('graceful shutdown of a worker', () => {
  it('SIGTERM: /readyz turns 503 first, the page in flight finishes, the process exits 0 and no job stalls', async () => {
    const s = scenario(sim, box);
    await s.addTenant('drain', 0);
    await s.setFaults(0, { latencyMs: { min: 2_000, max: 2_200 } });
    const { worker, port } = await readyWorker(s, { SHUTDOWN_GRACE_MS: '20000' });
    let survivor: Worker | undefined;
    try {
      expect((await probe(port, '/healthz'))?.status).toBe(200);
      const metrics = await probe(port, '/metrics');
      expect(metrics?.status).toBe(200);
      expect(metrics?.body).toContain('okta_sync_queue_jobs');
      const runId = await s.startSync('drain');
      const inFlight = await pageBecomesActive(runId, 1);
      const signalled = Date.now();
      const exit = exited(worker, signalled);
      worker.kill('SIGTERM');
      // Readiness answers 503 while the page is still being fetched (it has ~2 s left).
      const ready = await waitFor(async () => {
        const r = await probe(port, '/readyz');
        return r && r.status !== 200 ? r : undefined;
      }, 1_500, '/readyz to leave 200');
      expect(ready.status).toBe(503);
      expect(ready.body).toContain('draining');
      expect((await probe(port, '/healthz'))?.status).toBe(200);
      const { code, afterMs } = await exit;
      expect(code, worker.output()).toBe(0);
      // It waited for the slow page rather than abandoning it, and did not need the whole grace.
      expect(afterMs).toBeGreaterThan(1_000);
      expect(afterMs).toBeLessThan(20_000);
      expect(worker.output()).toContain('drained and closed');
      expect(await queue.getJobState(inFlight.id!)).toBe('completed');
      // The finished page chained its successor, which waits for the next worker.
      expect(['waiting', 'prioritized']).toContain(await queue.getJobState(`${runId}.p2`));
      expect((await s.run(runId)).status).toBe('running');

      await s.setFaults(0, {});
      survivor = s.startWorker(2);
      const run = await s.waitForFinal(runId, 30_000);
      expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
      expect(run.counters.pages).toBe(3);
      expect(run.counters.objects).toBe(600);
      await s.expectExactUsers('drain', 0);
      expect(stalled).toEqual([]);
    } finally {
      await s.close();
      await s.setFaults(0, {});
      await stopProcess(worker, 'SIGKILL');
      if (survivor) await stopProcess(survivor);
    }
  });

  it('a second signal exits 1 at once; the abandoned page is re-run by another worker and the run completes exactly', async () => {
    const s = scenario(sim, box);
    await s.addTenant('force', 1);
    await s.setFaults(1, { latencyMs: { min: 5_000, max: 5_500 } });
    const { worker, port } = await readyWorker(s, { SHUTDOWN_GRACE_MS: '60000' });
    let survivor: Worker | undefined;
    try {
      const runId = await s.startSync('force');
      const inFlight = await pageBecomesActive(runId, 1);
      worker.kill('SIGTERM');
      await waitFor(async () => (await probe(port, '/readyz'))?.status === 503, 1_500, '/readyz 503');
      const second = Date.now();
      const exit = exited(worker, second);
      worker.kill('SIGTERM');
      const { code, afterMs } = await exit;
      expect(code).toBe(1);
      expect(afterMs).toBeLessThan(3_000);
      expect(worker.output()).toContain('second signal');
      // Still locked by the dead worker: BullMQ's stall check hands it to the survivor once the lock expires.
      expect(await queue.getJobState(inFlight.id!)).toBe('active');

      await s.setFaults(1, {});
      survivor = s.startWorker(2);
      const run = await s.waitForFinal(runId, 45_000);
      expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
      expect(run.counters.objects).toBe(600);
      await s.expectExactUsers('force', 1);
      expect(stalled).toContain(inFlight.id);
    } finally {
      await s.close();
      await s.setFaults(1, {});
      await stopProcess(worker, 'SIGKILL');
      if (survivor) await stopProcess(survivor);
    }
  });

  it('exits 1 when SHUTDOWN_GRACE_MS runs out with a page still in flight', async () => {
    const s = scenario(sim, box);
    await s.addTenant('grace', 2);
    await s.setFaults(2, { latencyMs: { min: 8_000, max: 8_000 } });
    const { worker } = await readyWorker(s, { SHUTDOWN_GRACE_MS: '1000' });
    try {
      const runId = await s.startSync('grace');
      await pageBecomesActive(runId, 0);
      const exit = exited(worker);
      worker.kill('SIGTERM');
      const { code, afterMs } = await exit;
      expect(code).toBe(1);
      expect(afterMs).toBeGreaterThanOrEqual(900);
      expect(afterMs).toBeLessThan(6_000);
      expect(worker.output()).toContain('grace period over');
    } finally {
      await s.close();
      await s.setFaults(2, {});
      await stopProcess(worker, 'SIGKILL');
    }
  });
});
