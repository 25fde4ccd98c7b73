import { expect } from 'vitest';
import { type SimWindow, type WindowFigures, windowFigures } from '../../bench/rate-windows.js';
import type { OktaSim } from '../../src/okta-sim/index.js';
import type { Sandbox } from '../helpers/fixtures.js';
import { runCli, startCliProcess, stopProcess } from '../helpers/processes.js';

/** Steps shared by the rate e2e files: tenants, real worker processes, runs, simulator counters. */
export interface SimStats {
  requestsByBucket: Record<string, Record<string, number>>;
  rateLimited: number;
  concurrencyRejected: number;
  maxInFlight: number;
  faults: Record<string, number>;
  windows: Record<string, SimWindow[]>;
}

export interface RunJson {
  runId: string;
  resource: string;
  status: string;
  error: { code: string; message: string } | null;
  counters: { pages: number; objects: number; requests: number; rateLimited: number; retries: number; rateLimitWaitMs: number };
}

export async function addTenant(box: Sandbox, sim: OktaSim, tenantId: string, orgIndex = 0): Promise<void> {
  const org = sim.orgs[orgIndex]!;
  const res = await runCli(['tenant', 'add', tenantId, '--domain', org.domain, '--client-id', org.clientId, '--client-secret-stdin'], box.env(), {
    stdin: `${org.clientSecret}\n`,
  });
  expect(res.code, res.stderr).toBe(0);
}

/** Starts `count` worker processes with `env` overrides, runs `fn`, and stops them whatever happens. */
export async function withWorkers<T>(box: Sandbox, count: number, concurrency: number, env: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const workers = Array.from({ length: count }, () => startCliProcess(['worker', '--concurrency', String(concurrency)], box.env(env)));
  try {
    return await fn();
  } catch (error) {
    // Worker output explains most e2e failures.
    for (const w of workers) process.stderr.write(w.output().slice(-4_000));
    throw error;
  } finally {
    await Promise.all(workers.map((w) => stopProcess(w)));
  }
}

/** `okta-sync sync … --wait --json` as a real process; returns the final runs. */
export async function syncAndWait(box: Sandbox, tenantId: string, resources: string[], timeoutMs = 120_000): Promise<RunJson[]> {
  const res = await runCli(['sync', tenantId, '--resources', resources.join(','), '--wait', '--json'], box.env(), { timeoutMs });
  expect(res.code, res.stderr).toBe(0);
  return (JSON.parse(res.stdout) as { runs: RunJson[] }).runs;
}

export async function simJson<T>(sim: OktaSim, path: string, body?: unknown, orgIndex = 0): Promise<T> {
  const res = await fetch(`${sim.orgs[orgIndex]!.baseUrl}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}

export const simStats = (sim: OktaSim, orgIndex = 0) => simJson<SimStats>(sim, '/__sim/stats', undefined, orgIndex);

/** Figures of one bucket's windows, printed so that a run's numbers are visible in the test log. */
export async function bucketFigures(sim: OktaSim, bucket: string, share: number, label: string): Promise<{ stats: SimStats; figures: WindowFigures }> {
  const stats = await simStats(sim);
  const figures = windowFigures(stats.windows[bucket] ?? [], share);
  process.stdout.write(`[${label}] ${JSON.stringify({ ...figures, maxInFlight: stats.maxInFlight })}\n`);
  return { stats, figures };
}
