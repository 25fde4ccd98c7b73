import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueueSync } from '../../../src/shared/enqueue-sync.js';
import { asTenantId } from '../../../src/shared/ids.js';
import { openSyncQueue } from '../../../src/shared/queue.js';
import { createRedis } from '../../../src/shared/redis.js';
import { type ApiHarness, startHarness, tenantBody } from './api-harness.js';

// No half-made run (issue 14, point 4): when the first page job cannot be queued, the run this
// request created is closed as failed, so the next request starts a fresh run instead of
// returning one that nothing will ever work on.

let h: ApiHarness;
const tenantId = asTenantId('rollback');

beforeAll(async () => {
  h = await startHarness('enqueue-rollback');
  expect((await h.call({ method: 'PUT', url: '/v1/tenants/rollback', payload: tenantBody() })).statusCode).toBe(201);
});

afterAll(async () => {
  await h?.close();
});

describe('enqueueSync when the queue refuses the first job', () => {
  it('finishes the run it created as failed (enqueue_failed) and rethrows', async () => {
    const redis = createRedis(h.config.redisUrl);
    const broken = openSyncQueue(redis, h.config.queuePrefix);
    await broken.waitUntilReady();
    await broken.close();
    redis.disconnect();
    await expect(enqueueSync({ store: h.store, queues: { forTenant: () => broken } }, { tenantId, resources: ['users'], mode: 'full' })).rejects.toThrow();
    const [run] = await h.store.listRuns({ tenantId, limit: 10 });
    expect(run).toMatchObject({ status: 'failed', error: { code: 'enqueue_failed' } });
    expect(await h.queue.getJobCounts('waiting', 'prioritized')).toEqual({ waiting: 0, prioritized: 0 });
  });

  it('so the next request starts a new run that is really queued', async () => {
    const [next] = await enqueueSync({ store: h.store, queues: { forTenant: () => h.queue } }, { tenantId, resources: ['users'], mode: 'full' });
    expect(next).toMatchObject({ created: true, status: 'queued' });
    expect(await h.queue.getJobCounts('waiting')).toEqual({ waiting: 1 });
  });
});
