import { availableParallelism } from 'node:os';
import type { Bench, BenchContext, BenchRow } from './bench-types.js';
import { runMs, type SyncCluster, startSyncCluster } from './sync-cluster.js';

/**
 * Fairness: small tenants' user syncs while one huge tenant syncs, against the same small syncs
 * without it. Each small run's time is the median of `rounds`; the figure is the worst small
 * tenant's ratio (target <= 1.5). Simulated orgs run in their own processes (as real orgs are
 * other servers), so the huge org's simulator cost does not land on the small orgs.
 */
export interface FairnessOptions {
  bigUsers: number;
  smallUsers: number;
  smallTenants: number;
  workers: number;
  concurrency: number;
  rounds: number;
  log(message: string): void;
}

export interface FairnessResult {
  /** Per small tenant: median ms alone (one small run at a time, no huge tenant). */
  soloMs: number[];
  /** Per small tenant: median ms with all small tenants at once, no huge tenant. */
  togetherMs: number[];
  /** Per small tenant: median ms with all small tenants at once and the huge tenant running. */
  withBigMs: number[];
  /** Worst withBig / solo. */
  ratioVsSolo: number;
  /** Worst withBig / together. */
  ratioVsTogether: number;
  /** Sum of withBig / sum of together: the small tenants' slowdown as a whole, less noisy. */
  ratioAggregate: number;
  /** Pages the huge runs wrote while the small runs were measured (they mostly stepped aside). */
  bigPagesDuring: number;
  /** Rounds whose small runs all ended while the huge run was still running. */
  roundsBesideBig: number;
}

/** Pages the huge run writes before small runs start (beyond the fairness gate's 32 for "old"). */
const BIG_PAGES_BEFORE = 36;

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

export async function measureFairness(cluster: SyncCluster, o: FairnessOptions): Promise<FairnessResult> {
  const [big] = await cluster.startSim(['--orgs', '1', '--users', String(o.bigUsers), '--groups', '2', '--apps', '1', '--logs', '1', '--seed', '1', '--rate-limits', 'unlimited']);
  const smallOrgs = await cluster.startSim(['--orgs', String(o.smallTenants), '--users', String(o.smallUsers), '--groups', '2', '--apps', '1', '--logs', '1', '--seed', '2', '--rate-limits', 'unlimited']);
  // Fresh tenant ids per call: a retry in the same cluster must not rebind a tenant that holds data.
  const tag = Date.now().toString(36);
  const bigId = `big-${tag}`;
  await cluster.addTenant(bigId, big!);
  const smalls = smallOrgs.map((_, i) => `small-${i + 1}-${tag}`);
  for (const [i, org] of smallOrgs.entries()) await cluster.addTenant(smalls[i]!, org);
  cluster.startWorkers(o.workers, o.concurrency);

  const allSmall = async (): Promise<number[]> => {
    const runIds = (await Promise.all(smalls.map((t) => cluster.sync(t, ['users'])))).flat();
    return (await cluster.waitRuns(runIds)).map(runMs);
  };
  await allSmall(); // warm-up: tokens cached, code paths hot
  const solo: number[][] = smalls.map(() => []);
  const together: number[][] = smalls.map(() => []);
  const withBig: number[][] = smalls.map(() => []);
  let bigPagesDuring = 0;
  let roundsBesideBig = 0;
  // Rounds interleave the three conditions, so load that drifts over the measurement (other
  // processes on the machine) weighs on each alike; medians drop the outliers.
  for (let round = 0; round < o.rounds; round++) {
    for (const [i, t] of smalls.entries()) solo[i]!.push(runMs((await cluster.waitRuns(await cluster.sync(t, ['users'])))[0]!));
    for (const [i, ms] of (await allSmall()).entries()) together[i]!.push(ms);
    const [bigRun] = await cluster.sync(bigId, ['users']);
    // Measure once the huge run is well under way: its attained service then marks it as old.
    while ((await cluster.runNow(bigRun!)).counters.pages < BIG_PAGES_BEFORE) await new Promise((r) => setTimeout(r, 10));
    const before = (await cluster.runNow(bigRun!)).counters.pages;
    for (const [i, ms] of (await allSmall()).entries()) withBig[i]!.push(ms);
    const after = await cluster.runNow(bigRun!);
    if (after.status === 'running') roundsBesideBig++;
    else o.log(`warning: the huge run was ${after.status} before the small runs ended`);
    bigPagesDuring += after.counters.pages - before;
    await cluster.cancel(bigRun!);
  }
  const soloMs = solo.map(median);
  const togetherMs = together.map(median);
  const withBigMs = withBig.map(median);
  return {
    soloMs,
    togetherMs,
    withBigMs,
    ratioVsSolo: Math.max(...withBigMs.map((ms, i) => ms / soloMs[i]!)),
    ratioVsTogether: Math.max(...withBigMs.map((ms, i) => ms / togetherMs[i]!)),
    ratioAggregate: sum(withBigMs) / sum(togetherMs),
    bigPagesDuring,
    roundsBesideBig,
  };
}

export const syncFairnessBench: Bench = {
  name: 'sync fairness',
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const full = ctx.scale === 'full';
    const o: FairnessOptions = {
      bigUsers: full ? 200_000 : 20_000,
      smallUsers: full ? 2_000 : 500,
      smallTenants: full ? 10 : 5,
      workers: 2,
      concurrency: 8,
      rounds: 7,
      log: ctx.log,
    };
    const cluster = await startSyncCluster({ redisUrl: ctx.redisUrl, name: 'bench-fair' });
    try {
      const r = await measureFairness(cluster, o);
      ctx.log(`fairness: solo ${r.soloMs.join('/')} ms, together ${r.togetherMs.join('/')} ms, with huge ${r.withBigMs.join('/')} ms`);
      const scenario = `${o.smallTenants} x ${o.smallUsers} users beside ${o.bigUsers.toLocaleString('en-US')}`;
      const worstBy = (base: number[]) => r.withBigMs.reduce((w, ms, i) => (ms / base[i]! > r.withBigMs[w]! / base[w]! ? i : w), 0);
      const vsWithout = worstBy(r.togetherMs);
      const vsAlone = worstBy(r.soloMs);
      const total = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
      return [
        {
          bench: this.name,
          metric: `worst small tenant's run, huge tenant mid-run vs not running (${scenario})`,
          ours: r.withBigMs[vsWithout]!,
          baseline: r.togetherMs[vsWithout]!,
          unit: 'ms',
          better: 'lower',
          target: '<= 1.5x slower',
          note: `median of ${o.rounds} interleaved rounds; the huge runs wrote ${r.bigPagesDuring} pages meanwhile (they step aside)`,
        },
        {
          bench: this.name,
          metric: 'all small tenants\' runs together, huge tenant mid-run vs not running',
          ours: total(r.withBigMs),
          baseline: total(r.togetherMs),
          unit: 'ms',
          better: 'lower',
          target: '<= 1.5x slower',
        },
        {
          bench: this.name,
          metric: 'worst small tenant\'s run beside the huge one and the other small ones vs entirely alone',
          ours: r.withBigMs[vsAlone]!,
          baseline: r.soloMs[vsAlone]!,
          unit: 'ms',
          better: 'lower',
          note: `${o.smallTenants} small runs at once share ${availableParallelism()} CPUs with each other, with or without the huge tenant`,
        },
      ];
    } finally {
      await cluster.close();
    }
  },
};
