import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scheduleId } from '../../../src/shared/jobs.js';
import { shardOf, shardPrefix } from '../../../src/shared/queue-shards.js';
import { type ApiHarness, json, startHarness, tenantBody } from './api-harness.js';

/** The API with OKTA_SYNC_QUEUE_SHARDS=3: every tenant's jobs, schedulers and idempotency records go to its shard. */
let h: ApiHarness;
const SHARDS = 3;
// Tenants of three different shards (pinned by test/unit/queue-shards.test.ts: t0 → 0, acme → 1, t1 → 2).
const TENANTS = ['t0', 'acme', 't1'];

beforeAll(async () => {
  h = await startHarness('api-sharded', { env: { OKTA_SYNC_QUEUE_SHARDS: String(SHARDS) } });
  for (const id of TENANTS) expect((await h.call({ method: 'PUT', url: `/v1/tenants/${id}`, payload: tenantBody() })).statusCode).toBe(201);
});

afterAll(async () => {
  await h?.close();
});

describe('API on 3 queue shards', () => {
  it('puts each tenant in another shard', () => {
    expect(TENANTS.map((t) => shardOf(t, SHARDS))).toEqual([0, 1, 2]);
    expect(h.queues.queues.map((q) => q.opts.prefix)).toEqual([0, 1, 2].map((i) => shardPrefix(h.config.queuePrefix, i, SHARDS)));
    expect(new Set(h.queues.queues.map((q) => q.opts.prefix)).size).toBe(SHARDS);
  });

  it("queues a sync's first page, its idempotency record and its schedulers in the tenant's shard only", async () => {
    for (const t of TENANTS) {
      const res = await h.call({ method: 'POST', url: `/v1/tenants/${t}/syncs`, headers: { 'idempotency-key': `k-${t}` }, payload: { resources: ['users'] } });
      expect(res.statusCode).toBe(202);
      const [run] = json<{ runs: { runId: string }[] }>(res).runs;
      const put = await h.call({ method: 'PUT', url: `/v1/tenants/${t}/schedule`, payload: { groups: { every: '1h' } } });
      expect(put.statusCode).toBe(200);
      const got = await h.call({ method: 'GET', url: `/v1/tenants/${t}/schedule` });
      expect(json<{ schedules: Record<string, { every: string }> }>(got).schedules).toMatchObject({ groups: { every: '1h' } });
      const home = shardOf(t, SHARDS);
      for (const [i, queue] of h.queues.queues.entries()) {
        const pages = (await queue.getJobs(['waiting'])).filter((j) => j.name === 'page' && j.data.tenantId === t).map((j) => j.data.runId);
        const scheduler = await queue.getJobScheduler(scheduleId(t, 'groups'));
        const idem = await h.redis.get(`${shardPrefix(h.config.queuePrefix, i, SHARDS)}:idem:${t}:k-${t}`);
        if (i === home) {
          expect(pages).toEqual([run?.runId]);
          expect(scheduler?.every).toBe(3_600_000);
          expect(idem).not.toBeNull();
        } else {
          expect(pages).toEqual([]);
          expect(scheduler).toBeUndefined();
          expect(idem).toBeNull();
        }
      }
    }
  });

  it("removing a tenant clears its schedulers and pending jobs in its shard, and leaves the others'", async () => {
    expect((await h.call({ method: 'DELETE', url: '/v1/tenants/acme' })).statusCode).toBe(204);
    const acme = h.queues.forTenant('acme');
    expect(await acme.getJobScheduler(scheduleId('acme', 'groups'))).toBeUndefined();
    expect((await acme.getJobs(['waiting'])).filter((j) => j.data.tenantId === 'acme')).toEqual([]);
    expect(await h.queues.forTenant('t1').getJobScheduler(scheduleId('t1', 'groups'))).toBeDefined();
  });
});
