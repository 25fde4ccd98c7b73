import { shardPrefix } from '../src/shared/queue-shards.js';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { type RedisClusterFixture, startRedisCluster, topologyToolsAvailable } from '../test/helpers/redis-topologies.js';
import type { Bench, BenchContext, BenchRow } from './bench-types.js';
import { startSyncCluster } from './sync-cluster.js';

/**
 * Queue shards (issue 18): the same multi-tenant users sync on a 3-master Redis Cluster with
 * OKTA_SYNC_QUEUE_SHARDS=1 (every key in one slot, so one master) and =3 (one shard per master).
 * Figures: page jobs/s, Redis commands per page job (INFO commandstats deltas summed over the
 * masters), and the busiest master's share of commands and CPU per page job, from which the
 * README projects what one master carries. On two cores the workers, the simulator and the three
 * masters share the CPU, so the ratio is what counts, not the absolute rate.
 */
export interface ShardRound {
  shards: number;
  pages: number;
  seconds: number;
  /** Commands on all masters during the round. */
  commands: number;
  /** Commands on the busiest master. */
  busiestCommands: number;
  /** CPU seconds (user + sys) the busiest master spent. */
  busiestCpuSeconds: number;
}

interface NodeStats {
  calls: number;
  cpu: number;
}

async function nodeStats(port: number): Promise<NodeStats> {
  const c = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
  try {
    const [commandstats, cpu] = [await c.info('commandstats'), await c.info('cpu')];
    const calls = [...commandstats.matchAll(/calls=(\d+)/g)].reduce((a, m) => a + Number(m[1]), 0);
    const field = (name: string) => Number(new RegExp(`${name}:([0-9.]+)`).exec(cpu)?.[1] ?? 0);
    return { calls, cpu: field('used_cpu_user') + field('used_cpu_sys') };
  } finally {
    c.disconnect();
  }
}

export async function measureShards(
  cluster: RedisClusterFixture,
  o: { shards: number; tenants: number; users: number; workers: number; concurrency: number; log(m: string): void },
): Promise<ShardRound> {
  const base = `bench-shards-${randomBytes(3).toString('hex')}`;
  // Shard tags are chosen per equal slot range (src/shared/queue-shards.ts): on an evenly created
  // cluster, 3 shards sit on 3 masters for any prefix.
  const prefix = base;
  if (o.shards > 1) {
    const masters = await Promise.all(Array.from({ length: o.shards }, (_, s) => cluster.masterOf(shardPrefix(prefix, s, o.shards))));
    if (new Set(masters).size < Math.min(o.shards, 3)) o.log(`warning: the ${o.shards} shards share masters (${masters.join(', ')})`);
  }
  const env = { REDIS_CLUSTER_NODES: cluster.nodesVar, OKTA_SYNC_QUEUE_SHARDS: String(o.shards), QUEUE_PREFIX: prefix, OKTA_SYNC_RATE_SHARE: '1' };
  const c = await startSyncCluster({ redisUrl: 'redis://127.0.0.1:1', name: 'queue-shards', env });
  try {
    const orgs = await c.startSim(['--orgs', String(o.tenants + 1), '--users', String(o.users), '--groups', '1', '--apps', '1', '--logs', '1', '--rate-limits', 'unlimited']);
    const tenants = orgs.map((_, i) => `t${i}`);
    for (const [i, org] of orgs.entries()) await c.addTenant(tenants[i]!, org);
    c.startWorkers(o.workers, o.concurrency);
    // Warm-up on the spare org: workers up, code paths hot; its token does not count below.
    await c.waitRuns(await c.sync(tenants.at(-1)!, ['users']), 120_000);
    const before = await Promise.all(cluster.masters.map((m) => nodeStats(m.port)));
    const started = process.hrtime.bigint();
    const runIds = (await Promise.all(tenants.slice(0, -1).map((t) => c.sync(t, ['users'])))).flat();
    const runs = await c.waitRuns(runIds, 300_000);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const after = await Promise.all(cluster.masters.map((m) => nodeStats(m.port)));
    const failed = runs.filter((r) => r.status !== 'succeeded');
    if (failed.length > 0) throw new Error(`${failed.length} runs did not succeed: ${JSON.stringify(failed[0]?.error)}`);
    const deltas = after.map((a, i) => ({ calls: a.calls - (before[i]?.calls ?? 0), cpu: a.cpu - (before[i]?.cpu ?? 0) }));
    const busiest = deltas.reduce((a, b) => (b.calls > a.calls ? b : a));
    const round = {
      shards: o.shards,
      pages: runs.reduce((a, r) => a + r.counters.pages, 0),
      seconds,
      commands: deltas.reduce((a, d) => a + d.calls, 0),
      busiestCommands: busiest.calls,
      busiestCpuSeconds: busiest.cpu,
    };
    o.log(`${o.shards} shard(s): ${JSON.stringify({ ...round, perMaster: deltas.map((d) => d.calls) })}`);
    return round;
  } finally {
    await c.close();
  }
}

export const queueShardsBench: Bench = {
  name: 'queue shards',
  budgetMs: { quick: 240_000, full: 600_000 },
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const tools = topologyToolsAvailable();
    if (!tools.ok) throw new Error(`needs ${tools.missing.join(', ')} (apt-get install -y redis-server redis-tools)`);
    const scale = ctx.scale === 'quick' ? { tenants: 12, users: 2_000 } : { tenants: 24, users: 6_000 };
    const o = { ...scale, workers: 2, concurrency: 12, log: ctx.log };
    const cluster = await startRedisCluster(3);
    try {
      const one = await measureShards(cluster, { ...o, shards: 1 });
      const three = await measureShards(cluster, { ...o, shards: 3 });
      const bench = 'queue shards';
      const note = `${o.tenants} tenants × ${o.users} users, ${o.workers} workers × ${o.concurrency}, 3-master cluster; baseline = 1 shard`;
      const rate = (r: ShardRound) => r.pages / r.seconds;
      const cpuMsPerPage = (r: ShardRound) => (r.busiestCpuSeconds * 1000) / r.pages;
      return [
        { bench, metric: 'page jobs/s, 3 shards', ours: rate(three), baseline: rate(one), unit: 'jobs/s', better: 'higher', note },
        { bench, metric: 'Redis commands per page job', ours: three.commands / three.pages, baseline: one.commands / one.pages, unit: 'cmds', better: 'lower' },
        { bench, metric: "busiest master's share of commands", ours: three.busiestCommands / three.commands, baseline: one.busiestCommands / one.commands, unit: 'share', better: 'lower' },
        { bench, metric: 'busiest master CPU per page job', ours: cpuMsPerPage(three), baseline: cpuMsPerPage(one), unit: 'ms', better: 'lower' },
      ];
    } finally {
      await cluster.stop();
    }
  },
};
