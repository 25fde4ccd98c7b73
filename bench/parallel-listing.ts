import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SimStatsSnapshot } from '../src/okta-sim/stats.js';
import type { Bench, BenchContext, BenchRow } from './bench-types.js';
import type { SimOrgJson as FullSimOrgJson } from './e2e-harness.js';
import { syncWithSdkInChild } from './sdk-baseline.js';
import { runMs, startSimProcess, startSyncCluster } from './sync-cluster.js';

/**
 * Issue 13: a full users sync of a large org is bound by the rate share, not by page latency.
 * Simulator at `--latency 500` (log-normal, p99 ≈ 4x), users limit 600/min, share 0.5 (5
 * requests/s allowed): ours (several `created` ranges at once) vs ours with one cursor
 * (`OKTA_SYNC_MAX_CURSORS=1`) vs the official SDK (one cursor, `bench/sdk-baseline.ts`). Each
 * variant gets a fresh simulator, so no one starts in a window another spent. The bound is the
 * pages of the org over the allowed requests per second.
 */
const LIMIT_PER_MINUTE = 600;
const SHARE = 0.5;
const LATENCY_MS = 500;
const ALLOWED_PER_S = (LIMIT_PER_MINUTE * SHARE) / 60;
const WORKER_BOOT_MS = 5_000;

interface Measured {
  seconds: number;
  requests: number;
  rateLimited: number;
  concurrencyRejected: number;
  maxInFlight: number;
}

export const parallelListingBench: Bench = {
  name: 'parallel listing',
  budgetMs: { quick: 240_000, full: 2_400_000 },
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    // The 200 000 case takes minutes by construction (about 3.3 at the bound, 10 with one cursor).
    const sizes = ctx.scale === 'full' ? [40_000, 200_000] : [10_000];
    const dir = mkdtempSync(join(tmpdir(), 'okta-sync-parallel-'));
    const limits = join(dir, 'limits.json');
    writeFileSync(limits, JSON.stringify({ users: LIMIT_PER_MINUTE }));
    const rows: BenchRow[] = [];
    try {
      for (const users of sizes) {
        // A size that fails (a variant over its time) is one FAILED row; the other sizes still print.
        try {
          const ours = await measureOurs(ctx, users, limits, undefined);
          const one = await measureOurs(ctx, users, limits, 1);
          const sdk = await measureSdk(ctx, users, limits);
          rows.push(...rowsFor(users, ours, one, sdk));
        } catch (error) {
          rows.push({ bench: 'parallel listing', metric: `FAILED at ${users.toLocaleString('en-US')} users: ${(error as Error).message}`, ours: Number.NaN, baseline: null, unit: '', better: 'lower' });
        }
      }
      return rows;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

function simArgs(users: number, limits: string): string[] {
  return ['--orgs', '1', '--users', String(users), '--groups', '1', '--apps', '1', '--logs', '1', '--seed', '13', '--rate-limits', limits, '--latency', String(LATENCY_MS)];
}

async function measureOurs(ctx: BenchContext, users: number, limits: string, maxCursors: number | undefined): Promise<Measured> {
  const sim = await startSimProcess(simArgs(users, limits));
  const env: Record<string, string> = { OKTA_SYNC_RATE_SHARE: String(SHARE) };
  if (maxCursors !== undefined) env.OKTA_SYNC_MAX_CURSORS = String(maxCursors);
  const cluster = await startSyncCluster({ redisUrl: ctx.redisUrl, name: `bench-parallel-${maxCursors ?? 'n'}`, env });
  try {
    await cluster.addTenant('big', sim.orgs[0]!);
    cluster.startWorkers(2, 8);
    // The SDK's figure starts once its process runs; ours once the workers are up, not while they boot.
    await new Promise((r) => setTimeout(r, WORKER_BOOT_MS));
    // One cursor over 200 000 users at 0.5 s a page is 10 minutes or more by construction.
    const [run] = await cluster.waitRuns(await cluster.sync('big', ['users']), 1_800_000);
    if (run?.status !== 'succeeded') throw new Error(`run ${run?.status}: ${run?.error?.message}`);
    if (run.counters.objects < users) throw new Error(`stored ${run.counters.objects} of ${users} users`);
    const stats = await simStats(sim.orgs[0]!);
    const measured = { seconds: runMs(run) / 1000, ...pick(stats) };
    ctx.log(`${users} users, ${maxCursors === 1 ? 'one cursor' : 'ours'}: ${describe(measured)}`);
    return measured;
  } finally {
    await cluster.close();
    await sim.stop();
  }
}

async function measureSdk(ctx: BenchContext, users: number, limits: string): Promise<Measured> {
  const sim = await startSimProcess(simArgs(users, limits));
  const dir = mkdtempSync(join(tmpdir(), 'okta-sync-parallel-sdk-'));
  try {
    const result = await syncWithSdkInChild(sim.orgs as unknown as FullSimOrgJson[], `sqlite:${join(dir, 'store.db')}`);
    if (result.objects < users) throw new Error(`SDK stored ${result.objects} of ${users} users`);
    const measured = { seconds: result.seconds, ...pick(await simStats(sim.orgs[0]!)) };
    ctx.log(`${users} users, SDK: ${describe(measured)}`);
    return measured;
  } finally {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function simStats(org: SimOrgJson): Promise<SimStatsSnapshot> {
  return (await (await fetch(`${org.baseUrl}/__sim/stats`)).json()) as SimStatsSnapshot;
}

type SimOrgJson = { baseUrl: string };

function pick(stats: SimStatsSnapshot): Omit<Measured, 'seconds'> {
  return { requests: stats.apiRequests, rateLimited: stats.rateLimited, concurrencyRejected: stats.concurrencyRejected, maxInFlight: stats.maxInFlight };
}

const share = (m: Measured) => m.requests / m.seconds / ALLOWED_PER_S;
const describe = (m: Measured) =>
  `${m.seconds.toFixed(1)} s, ${m.requests} requests (${(share(m) * 100).toFixed(0)}% of the allowed rate), ${m.rateLimited} 429s, ${m.concurrencyRejected} concurrency 429s, peak ${m.maxInFlight} in flight`;

function rowsFor(users: number, ours: Measured, one: Measured, sdk: Measured): BenchRow[] {
  const bench = 'parallel listing';
  const label = `full users sync of ${users.toLocaleString('en-US')}`;
  const bound = Math.ceil(users / 200) / ALLOWED_PER_S;
  const note = `simulator --latency ${LATENCY_MS}, users ${LIMIT_PER_MINUTE}/min, share ${SHARE}: ${ALLOWED_PER_S} requests/s allowed, ${users / 200} pages`;
  return [
    { bench, metric: `${label}: time vs one cursor`, ours: ours.seconds, baseline: one.seconds, unit: 's', better: 'lower', target: `>= 2.2x faster; <= ${(bound * 1.2).toFixed(0)} s (1.2x bound ${bound.toFixed(0)} s)`, note },
    { bench, metric: `${label}: time vs official SDK`, ours: ours.seconds, baseline: sdk.seconds, unit: 's', better: 'lower' },
    { bench, metric: `${label}: requests/s as share of allowed (vs one cursor)`, ours: share(ours) * 100, baseline: share(one) * 100, unit: '%', better: 'higher' },
    { bench, metric: `${label}: 429s (rate + concurrency) vs SDK`, ours: ours.rateLimited + ours.concurrencyRejected, baseline: sdk.rateLimited + sdk.concurrencyRejected, unit: '', better: 'lower', target: '0' },
    { bench, metric: `${label}: concurrency rejections, % of requests`, ours: (ours.concurrencyRejected / Math.max(1, ours.requests)) * 100, baseline: null, unit: '%', better: 'lower', target: '<= 1%' },
    { bench, metric: `${label}: peak requests in flight vs one cursor`, ours: ours.maxInFlight, baseline: one.maxInFlight, unit: '', better: 'higher' },
  ];
}
