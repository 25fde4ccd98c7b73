import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asRunId, asTenantId } from '../../src/shared/ids.js';
import { PURGE_EVERY_MS, PURGE_SCHEDULER_ID } from '../../src/shared/jobs.js';
import { openSyncQueue } from '../../src/shared/queue.js';
import { createRedis } from '../../src/shared/redis.js';
import { SqliteStore } from '../../src/shared/store/sqlite-store.js';
import { EMPTY_COUNTERS } from '../../src/shared/store/sync-store.js';
import { createSandbox, type Sandbox } from '../helpers/fixtures.js';
import { startCliProcess, stopProcess, waitFor } from '../helpers/processes.js';

/**
 * Retention through the real worker processes: two workers keep ONE purge job scheduler between
 * them (not one each, not one per tenant), and its first tick purges the expired records of the
 * SQLite store while keeping everything else.
 */
let box: Sandbox;
let workers: ReturnType<typeof startCliProcess>[] = [];
const tenantId = asTenantId('acme');
const DAY = 86_400_000;
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

beforeAll(() => {
  box = createSandbox('retention');
});

afterAll(async () => {
  await Promise.all(workers.map((w) => stopProcess(w)));
  box?.cleanup();
});

async function seed(): Promise<{ oldRun: string; keptRun: string }> {
  const store = new SqliteStore(box.storePath);
  try {
    const run = (createdAt: string) => ({
      runId: asRunId(`run_${createdAt}`),
      tenantId,
      resource: 'users' as const,
      mode: 'full' as const,
      status: 'queued' as const,
      createdAt,
      startedAt: null,
      finishedAt: null,
      counters: { ...EMPTY_COUNTERS },
      error: null,
      warnings: [],
    });
    const old = run(ago(101 * DAY));
    await store.createRunUnlessActive(old);
    const objects = ['gone', 'kept'].map((oktaId) => ({ oktaId, data: { id: oktaId }, oktaLastUpdated: null }));
    await store.commitPage({ tenantId, runId: old.runId, type: 'user', pageKey: 'p', objects, at: ago(101 * DAY) });
    await store.finishRun(old.runId, { status: 'succeeded', at: ago(100 * DAY) });
    const kept = run(ago(2 * DAY));
    await store.createRunUnlessActive(kept);
    await store.commitPage({ tenantId, runId: kept.runId, type: 'user', pageKey: 'p', objects: objects.slice(1), at: ago(2 * DAY) });
    await store.sweep({ tenantId, type: 'user', runId: kept.runId, at: ago(40 * DAY) });
    await store.finishRun(kept.runId, { status: 'succeeded', at: ago(2 * DAY) });
    return { oldRun: old.runId, keptRun: kept.runId };
  } finally {
    await store.close();
  }
}

describe('retention purge job', () => {
  it('two workers keep one scheduler, and its first tick purges only what expired', async () => {
    const { oldRun, keptRun } = await seed();
    workers = [startCliProcess(['worker', '--concurrency', '1'], box.env({ LOG_LEVEL: 'info' })), startCliProcess(['worker', '--concurrency', '1'], box.env({ LOG_LEVEL: 'info' }))];

    const store = new SqliteStore(box.storePath);
    try {
      await waitFor(
        async () => (await store.getRun(asRunId(oldRun))) === undefined && (await store.countObjects({ tenantId, type: 'user', includeDeleted: true })) === 1,
        60_000,
        `the purge (worker output: ${workers.map((w) => w.output()).join('\n')})`,
      );
      expect(await store.getRun(asRunId(keptRun))).toMatchObject({ status: 'succeeded', counters: { pages: 1, objects: 1, deleted: 1 } });
      expect((await store.listObjects({ tenantId, type: 'user', limit: 10 })).items.map((o) => o.oktaId)).toEqual(['kept']);
    } finally {
      await store.close();
    }

    const redis = createRedis(box.redisUrl);
    const queue = openSyncQueue(redis, box.queuePrefix);
    try {
      // Both workers are up (each upserted the scheduler at start) before counting.
      await waitFor(async () => workers.every((w) => w.output().includes('worker ready')), 60_000, 'both workers ready');
      const schedulers = await queue.getJobSchedulers();
      expect(schedulers.map((s) => [s.key, s.every])).toEqual([[PURGE_SCHEDULER_ID, PURGE_EVERY_MS]]);
    } finally {
      await queue.close();
      redis.disconnect();
    }
    for (const w of workers) expect(w.exitCode, w.output()).toBeNull();
  }, 120_000);
});
