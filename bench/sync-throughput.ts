import type { Resource } from '../src/shared/resources.js';
import type { RunRecord } from '../src/shared/store/sync-store.js';
import type { Bench, BenchContext, BenchRow } from './bench-types.js';
import { type SimOrgJson, startSimProcess, startSyncCluster } from './sync-cluster.js';

/**
 * The sync engine end to end over every resource (users, groups, memberships with their fan-out,
 * apps with app users, System Log): objects written per second from enqueue until every run has
 * succeeded, with 1, 2 and 4 worker processes (2 and 4 are compared with 1), on simulated orgs
 * without rate limits in their own process. Plus the request cost of an incremental sync after
 * typical changes, against the full sync of the same resources.
 */
const WORKER_COUNTS = [1, 2, 4] as const;
const CONCURRENCY = 8;
const ALL: Resource[] = ['users', 'groups', 'memberships', 'apps', 'logs'];
const INCREMENTAL: Resource[] = ['users', 'groups', 'memberships'];

const sum = (runs: RunRecord[], f: (r: RunRecord) => number) => runs.reduce((n, r) => n + f(r), 0);
const span = (runs: RunRecord[]) =>
  (Math.max(...runs.map((r) => Date.parse(r.finishedAt ?? ''))) - Math.min(...runs.map((r) => Date.parse(r.createdAt)))) / 1000;

export const syncThroughputBench: Bench = {
  name: 'sync throughput',
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const full = ctx.scale === 'full';
    const orgs = 4;
    const users = full ? 10_000 : 1_500;
    const groups = full ? 100 : 30;
    const sim = await startSimProcess([
      ...['--orgs', String(orgs), '--users', String(users), '--groups', String(groups), '--apps', '5', '--logs', '2000'],
      ...['--rate-limits', 'unlimited', '--concurrency-limit', '10000', '--seed', '9'],
    ]);
    const rows: BenchRow[] = [];
    let single: number | undefined;
    try {
      for (const workers of WORKER_COUNTS) {
        const cluster = await startSyncCluster({ redisUrl: ctx.redisUrl, name: `bench-sync-${workers}` });
        try {
          for (const [i, org] of sim.orgs.entries()) await cluster.addTenant(`org-${i}`, org);
          cluster.startWorkers(workers, CONCURRENCY);
          const runIds = (await Promise.all(sim.orgs.map((_, i) => cluster.sync(`org-${i}`, ALL)))).flat();
          const runs = await cluster.waitRuns(runIds);
          const failed = runs.filter((r) => r.status !== 'succeeded');
          if (failed.length > 0) throw new Error(`${failed.length} runs failed: ${failed[0]?.error?.message}`);
          const objects = sum(runs, (r) => r.counters.objects);
          const rate = objects / span(runs);
          ctx.log(`${workers} worker(s): ${objects} objects in ${span(runs).toFixed(1)} s`);
          single ??= rate;
          rows.push({
            bench: this.name,
            metric: `objects/s, all resources, ${orgs} orgs x ${users.toLocaleString('en-US')} users, ${workers} worker process${workers > 1 ? 'es' : ''} x ${CONCURRENCY}`,
            ours: rate,
            baseline: workers === 1 ? null : single,
            unit: 'obj/s',
            better: 'higher',
            note: `${objects.toLocaleString('en-US')} objects; baseline: 1 worker process`,
          });
          if (workers === 1) rows.push(await incrementalRow(ctx, cluster, sim.orgs[0]!, runs.filter((r) => r.tenantId === 'org-0')));
        } finally {
          await cluster.close();
        }
      }
      return rows;
    } finally {
      await sim.stop();
    }
  },
};

/** Typical changes (a few users, memberships, a hard delete), then an incremental sync of the resources that have one. */
async function incrementalRow(ctx: BenchContext, cluster: Awaited<ReturnType<typeof startSyncCluster>>, org: SimOrgJson, fullRuns: RunRecord[]): Promise<BenchRow> {
  const truth = (await (await fetch(`${org.baseUrl}/__sim/truth`)).json()) as { users: { id: string }[]; groups: { id: string }[] };
  const [u1, u2, u3, u4] = truth.users.slice(10).map((u) => u.id);
  const [, g1, g2] = truth.groups.map((g) => g.id);
  const ops = [
    { op: 'updateUser', id: u1, profile: { title: 'Changed' } },
    { op: 'deprovisionUser', id: u2 },
    { op: 'addUser', groupIds: [g1] },
    { op: 'addMember', groupId: g2, userId: u3 },
    { op: 'deleteUser', id: u4 },
  ];
  const res = await fetch(`${org.baseUrl}/__sim/mutate`, { method: 'POST', body: JSON.stringify(ops), headers: { 'content-type': 'application/json' } });
  if (res.status !== 200) throw new Error(`mutate: ${res.status}`);
  const runs = await cluster.waitRuns(await cluster.sync('org-0', INCREMENTAL, 'incremental'));
  if (runs.some((r) => r.status !== 'succeeded')) throw new Error('incremental run failed');
  const incremental = sum(runs, (r) => r.counters.requests);
  const fullRequests = sum(
    fullRuns.filter((r) => INCREMENTAL.includes(r.resource)),
    (r) => r.counters.requests,
  );
  ctx.log(`incremental ${runs.map((r) => `${r.resource} ${r.counters.requests}`).join(', ')}; full ${fullRequests}`);
  return {
    bench: 'sync throughput',
    metric: 'requests of an incremental sync (users, groups, memberships) after 5 changes vs a full sync',
    ours: incremental,
    baseline: fullRequests,
    unit: 'requests',
    better: 'lower',
    target: '< 0.3x of full',
    note: 'changes: profile update, deprovision, new user in a group, membership added, hard delete (touches each group of the user)',
  };
}
