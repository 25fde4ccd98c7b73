import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/shared/errors.js';
import { PURGE_SCHEDULER_ID, scheduleId } from '../../../src/shared/jobs.js';
import { addPageJob } from '../../../src/shared/queue.js';
import { createRedis, type Redis } from '../../../src/shared/redis.js';
import { assertShardCount, reconcileShardCount, shardCountKey } from '../../../src/shared/shard-count.js';
import { openSyncQueues, type ShardedQueues } from '../../../src/shared/sharded-queues.js';
import { ensurePurgeSchedule } from '../../../src/workers/purge-processor.js';
import { deleteByPattern } from '../../../src/producer/remove-tenant.js';
import { applySchedules } from '../../../src/producer/schedules.js';
import { asTenantId } from '../../../src/shared/ids.js';
import { createSandbox, type Sandbox } from '../../helpers/fixtures.js';

/** Changing OKTA_SYNC_QUEUE_SHARDS (DESIGN.md "Redis keys and queues"): refused while jobs are pending, else recorded. */
let box: Sandbox;
let redis: Redis;
const opened: ShardedQueues[] = [];
const open = (count: number) => {
  const q = openSyncQueues(redis, box.queuePrefix, count);
  opened.push(q);
  return q;
};

beforeAll(() => {
  box = createSandbox('shard-count');
  redis = createRedis(box.redisUrl);
});

afterAll(async () => {
  for (const q of opened) await q.close();
  await deleteByPattern(redis, `{${box.queuePrefix}}:*`);
  await deleteByPattern(redis, `{${box.queuePrefix}-[0-9]*}:*`);
  await redis.quit();
  box.cleanup();
});

describe('reconcileShardCount', () => {
  it('records the count at first start (none recorded = the unsharded layout)', async () => {
    expect(await reconcileShardCount(redis, box.queuePrefix, 1)).toEqual({ previous: 1, moved: 0 });
    expect(await redis.get(shardCountKey(box.queuePrefix))).toBe('1');
  });

  it('refuses another count while a page job is pending, naming the variable in one line, and records nothing', async () => {
    const one = open(1);
    await addPageJob(one.queue(0), { tenantId: 'acme', runId: 'run-1', resource: 'users', mode: 'full', page: 0, url: null });
    const error = await reconcileShardCount(redis, box.queuePrefix, 3).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe('OKTA_SYNC_QUEUE_SHARDS');
    expect((error as Error).message).toMatch(/1 job\(s\) are still pending under 1 shard/);
    expect((error as Error).message).not.toContain('\n');
    expect(await redis.get(shardCountKey(box.queuePrefix))).toBe('1');
    // The same count still starts.
    expect(await reconcileShardCount(redis, box.queuePrefix, 1)).toEqual({ previous: 1, moved: 0 });
    await one.queue(0).obliterate({ force: true });
  });

  it('with only schedulers left, accepts the new count and moves each scheduler to its tenant shard (purge to shard 0)', async () => {
    const one = open(1);
    await ensurePurgeSchedule(one.queue(0));
    const tenants = ['acme', 't1', 'c0'].map(asTenantId);
    for (const t of tenants) await applySchedules(one.queue(0), t, { users: { every: '15m', mode: 'incremental' } });
    expect(await reconcileShardCount(redis, box.queuePrefix, 3)).toEqual({ previous: 1, moved: 4 });
    expect(await redis.get(shardCountKey(box.queuePrefix))).toBe('3');
    const three = open(3);
    expect(await one.queue(0).getJobSchedulersCount()).toBe(0);
    expect((await three.queue(0).getJobScheduler(PURGE_SCHEDULER_ID))?.every).toBeGreaterThan(0);
    for (const t of tenants) {
      const scheduler = await three.forTenant(t).getJobScheduler(scheduleId(t, 'users'));
      expect(scheduler).toMatchObject({ every: 15 * 60_000, template: { data: { tenantId: t, resource: 'users', mode: 'incremental' } } });
    }
    // A scheduler's next run is a delayed job: it does not hold back a later change either.
    expect(await reconcileShardCount(redis, box.queuePrefix, 2)).toMatchObject({ previous: 3 });
  });
});

describe('assertShardCount (the CLI)', () => {
  it('passes the recorded count, refuses another in one line naming the variable and the count to use', async () => {
    await redis.set(shardCountKey(box.queuePrefix), '3');
    await expect(assertShardCount(redis, box.queuePrefix, 3)).resolves.toBeUndefined();
    const error = await assertShardCount(redis, box.queuePrefix, 1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe('OKTA_SYNC_QUEUE_SHARDS: is 1 but the workers run 3 shard(s) (recorded in Redis): set OKTA_SYNC_QUEUE_SHARDS=3');
  });

  it('passes any count while nothing is recorded (no worker or API started yet)', async () => {
    await redis.del(shardCountKey(box.queuePrefix));
    await expect(assertShardCount(redis, box.queuePrefix, 5)).resolves.toBeUndefined();
  });
});
