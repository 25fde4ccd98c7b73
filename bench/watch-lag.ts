import { asTenantId } from '../src/shared/ids.js';
import type { SyncStore } from '../src/shared/store/sync-store.js';
import { applyWatch } from '../src/producer/watch.js';
import type { Bench, BenchContext, BenchRow } from './bench-types.js';
import { type SimOrgJson, startSyncCluster } from './sync-cluster.js';

/**
 * Issue 17: change-to-store lag of the System Log watch (median and p95, from the mutation in the
 * simulator to the store write of the refreshed user) with a 5 s and a 15 s poll interval, and the
 * Okta requests each change cost besides the polls. Real worker processes, the simulator in its own
 * process with Okta's enterprise rate limits. Profile updates spread over the run at random times.
 * The baseline is what the same freshness costs without a watch: a full users run per interval.
 */
interface Sample {
  lagMs: number[];
  requests: number;
  polls: number;
  changes: number;
}

export const watchLagBench: Bench = {
  name: 'watch lag',
  budgetMs: { quick: 120_000, full: 240_000 },
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const changes = ctx.scale === 'full' ? 24 : 10;
    const spanMs = ctx.scale === 'full' ? 90_000 : 40_000;
    const cluster = await startSyncCluster({ redisUrl: ctx.redisUrl, name: 'bench-watch' });
    try {
      const orgs = await cluster.startSim(['--orgs', '2', '--users', '500', '--groups', '10', '--apps', '2', '--logs', '50', '--seed', '17']);
      cluster.startWorkers(1, 8);
      const intervals = [5, 15] as const;
      for (const [i, interval] of intervals.entries()) {
        await cluster.addTenant(`w${interval}`, orgs[i]!);
        await cluster.waitRuns(await cluster.sync(`w${interval}`, ['users', 'logs']));
        await applyWatch(cluster.producer, asTenantId(`w${interval}`), { enabled: true, intervalSeconds: interval });
      }
      const listRequests = await usersPageRequests(orgs[0]!);
      const samples = await Promise.all(intervals.map((interval, i) => measure(cluster.store, `w${interval}`, orgs[i]!, changes, spanMs)));
      return intervals.flatMap((interval, i) => rows(interval, samples[i]!, listRequests));
    } finally {
      await cluster.close();
    }
  },
};

async function sim<T>(org: SimOrgJson, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${org.baseUrl}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  return (await res.json()) as T;
}

type Stats = { requestsByBucket: Record<string, Record<string, number>> };
const total = (s: Stats, bucket: string) => Object.values(s.requestsByBucket[bucket] ?? {}).reduce((a, b) => a + b, 0);

/** Requests of one full users run of this org (what a poll-free refresh of the users would cost). */
async function usersPageRequests(org: SimOrgJson): Promise<number> {
  const truth = await sim<{ users: unknown[] }>(org, '/__sim/truth');
  return Math.ceil(truth.users.length / 200) + 1;
}

async function measure(store: SyncStore, tenantId: string, org: SimOrgJson, changes: number, spanMs: number): Promise<Sample> {
  const truth = await sim<{ users: { id: string; status: string }[] }>(org, '/__sim/truth');
  const users = truth.users.filter((u) => u.status === 'ACTIVE').slice(0, changes).map((u) => u.id);
  const before = await sim<Stats>(org, '/__sim/stats');
  const at = users.map(() => Math.random() * spanMs).sort((a, b) => a - b);
  const t0 = Date.now();
  const changedAt = new Map<string, number>();
  for (const [i, id] of users.entries()) {
    await new Promise((r) => setTimeout(r, Math.max(0, t0 + at[i]! - Date.now())));
    changedAt.set(id, Date.now());
    await sim(org, '/__sim/mutate', [{ op: 'updateUser', id, profile: { title: `bench-${i}` } }]);
  }
  const lagMs = new Map<string, number>();
  const deadline = Date.now() + 60_000;
  while (lagMs.size < users.length && Date.now() < deadline) {
    const stored = new Map((await store.listObjects({ tenantId: asTenantId(tenantId), type: 'user', limit: 1000 })).items.map((o) => [o.oktaId, o]));
    for (const [i, id] of users.entries()) {
      const o = stored.get(id);
      if (!lagMs.has(id) && (o?.data as { profile?: { title?: string } } | undefined)?.profile?.title === `bench-${i}`) {
        lagMs.set(id, Date.parse(o!.syncedAt) - changedAt.get(id)!);
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const after = await sim<Stats>(org, '/__sim/stats');
  const polls = total(after, 'logs') - total(before, 'logs');
  const all = Object.keys(after.requestsByBucket).reduce((sum, b) => (b === 'token' ? sum : sum + total(after, b) - total(before, b)), 0);
  if (lagMs.size < users.length) throw new Error(`${users.length - lagMs.size} of ${users.length} changes not in the store within 60 s`);
  return { lagMs: [...lagMs.values()].sort((a, b) => a - b), requests: all - polls, polls, changes: users.length };
}

function rows(interval: number, s: Sample, listRequests: number): BenchRow[] {
  const pct = (p: number) => s.lagMs[Math.min(s.lagMs.length - 1, Math.floor(s.lagMs.length * p))]! / 1_000;
  const note = `${s.changes} profile updates at random times; lag = mutation in the simulator → syncedAt of the refreshed user`;
  return [
    { bench: 'watch lag', metric: `change → store, median, ${interval} s interval`, ours: pct(0.5), baseline: null, unit: 's', better: 'lower', target: `<= ${interval} s + a few`, note },
    { bench: 'watch lag', metric: `change → store, p95, ${interval} s interval`, ours: pct(0.95), baseline: null, unit: 's', better: 'lower', target: interval === 5 ? '<= 30 s (issue 17)' : `<= ${interval} s + a few`, note },
    {
      bench: 'watch lag',
      metric: `Okta requests per change besides ${s.polls} polls, ${interval} s interval`,
      ours: s.requests / s.changes,
      baseline: listRequests,
      unit: 'req',
      better: 'lower',
      target: '< 3',
      note: 'baseline: one full users run of the org (its pages), what a change costs when found by re-listing',
    },
  ];
}
