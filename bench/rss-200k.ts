import type { Bench, BenchContext, BenchRow } from './bench-types.js';
import { startDeployment, startSimProcess } from './e2e-harness.js';

/**
 * Peak resident memory of a worker process while two workers sync one 200k-user tenant (1,000
 * pages): the kernel's `VmHWM` of each worker process, read when the run has finished, the larger
 * of the two reported. Target: at most 256 MB (the worker pod's memory request in deploy/k8s).
 * A quick run syncs 50k users; memory per worker should not grow with the tenant's size, since a
 * worker holds one page per job slot, so the quick figure is already indicative.
 */
const WORKERS = 2;
const CONCURRENCY = 10;
const MB = 1024 * 1024;

export const rssBench: Bench = {
  name: 'worker memory',
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const users = ctx.scale === 'quick' ? 50_000 : 200_000;
    const sim = await startSimProcess(['--orgs', '1', '--users', String(users), '--groups', '1', '--apps', '1', '--logs', '1', '--rate-limits', 'unlimited', '--concurrency-limit', '10000', '--seed', '3']);
    const deployment = await startDeployment({ redisUrl: ctx.redisUrl, name: 'rss' });
    try {
      await deployment.addTenant('big', sim.orgs[0]!);
      const workers = await deployment.startWorkers(WORKERS, CONCURRENCY);
      const started = performance.now();
      const [runId] = await deployment.syncUsers(['big']);
      const [run] = await deployment.waitRuns([runId!], 900_000);
      const seconds = (performance.now() - started) / 1000;
      if (run?.counters.objects !== users) throw new Error(`synced ${run?.counters.objects} users, expected ${users}`);
      const peaks = workers.map((w) => w.peakRssBytes() / MB);
      ctx.log(`${users} users in ${seconds.toFixed(1)} s; peak RSS per worker: ${peaks.map((p) => p.toFixed(0)).join(', ')} MB`);
      return [
        {
          bench: 'worker memory',
          metric: `peak RSS per worker (VmHWM, max of ${WORKERS}), ${users.toLocaleString('en-US')}-user tenant`,
          ours: Math.max(...peaks),
          baseline: null,
          unit: 'MB',
          better: 'lower',
          target: '<= 256 MB',
          note: `${(users / seconds).toFixed(0)} users/s for the single tenant`,
        },
      ];
    } finally {
      await deployment.close();
      await sim.stop();
    }
  },
};
