import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { windowFigures } from '../../bench/rate-windows.js';
import { freePort } from '../../src/cli/private-redis.js';
import { type OktaSim, startOktaSim } from '../../src/okta-sim/index.js';
import type { OrgTruth } from '../../src/okta-sim/truth.js';
import { createSandbox, type Sandbox } from '../helpers/fixtures.js';
import { runCli, startCliProcess, stopProcess, waitFor } from '../helpers/processes.js';
import { probe } from '../helpers/sync-scenario.js';
import { type SimStats, simJson, simStats, syncAndWait } from './rate-harness.js';
import { alive, ids, storedObjects } from './sync-harness.js';

/**
 * Issue 12 acceptance against real worker processes and the simulator over HTTP:
 * - memberships + apps at once, small groups and apps buckets, share 0.5: no window of any bucket
 *   sees more than half its limit, no 429, memberships and app assignments exact, INACTIVE apps
 *   (and their assignments) kept live;
 * - the product's per-bucket request counts (workers' /metrics) equal the simulator's, which maps
 *   URLs to buckets from its own table;
 * - a DPoP tenant whose org demands a nonce on API calls and refuses one proof in 50 syncs exactly.
 */
const WINDOW_SECONDS = 3;
const LIMITS = { groups: 16, apps: 12 };

let box: Sandbox;
let sim: OktaSim;
let dpopSim: OktaSim;

beforeAll(async () => {
  box = createSandbox('okta-fidelity');
  [sim, dpopSim] = await Promise.all([
    startOktaSim({ users: 900, groups: 14, apps: 14, logs: 1, seed: 12, rateLimits: LIMITS, rateWindowSeconds: WINDOW_SECONDS }),
    startOktaSim({ users: 3000, groups: 40, apps: 12, logs: 30, seed: 13, dpopApiNonce: true, faults: 'dpopRefuse=50' }),
  ]);
});

afterAll(async () => {
  await Promise.all([sim?.close(), dpopSim?.close()]);
  box?.cleanup();
});

/** Prometheus text → sum of one counter over the series whose labels match. */
function sum(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[3] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) total += Number(m[4]);
  }
  return total;
}

/** Two real workers with their own metrics ports; `fn` gets the concatenated /metrics text reader. */
async function withMetricWorkers<T>(fn: (metrics: () => Promise<string>) => Promise<T>): Promise<T> {
  const ports = [await freePort(), await freePort()];
  const workers = ports.map((port) => startCliProcess(['worker', '--concurrency', '4'], box.env({ METRICS_PORT: String(port), OKTA_SYNC_RATE_SHARE: '0.5' })));
  try {
    for (const port of ports) await waitFor(async () => (await probe(port, '/readyz'))?.status === 200, 30_000, `worker on ${port} ready`);
    const metrics = async () => (await Promise.all(ports.map(async (port) => (await probe(port, '/metrics'))?.body ?? ''))).join('\n');
    return await fn(metrics);
  } catch (error) {
    for (const w of workers) process.stderr.write(w.output().slice(-4_000));
    throw error;
  } finally {
    await Promise.all(workers.map((w) => stopProcess(w)));
  }
}

const totals = (byStatus: Record<string, number> | undefined) => Object.values(byStatus ?? {}).reduce((a, b) => a + b, 0);

describe('Okta fidelity (issue 12)', () => {
  it('memberships + apps at share 0.5: per-bucket windows within the share, no 429, exact data, product and simulator count the same buckets', { timeout: 150_000 }, async () => {
    const org = sim.orgs[0]!;
    const add = await runCli(['tenant', 'add', 'fid', '--domain', org.domain, '--client-id', org.clientId, '--client-secret-stdin'], box.env(), { stdin: `${org.clientSecret}\n` });
    expect(add.code, add.stderr).toBe(0);
    const truth = await simJson<OrgTruth>(sim, '/__sim/truth');
    const inactive = truth.apps.filter((a) => a.status === 'INACTIVE');
    expect(inactive.length, 'the seed has INACTIVE apps').toBeGreaterThan(0);

    const { stats, text } = await withMetricWorkers(async (metrics) => {
      await simJson(sim, '/__sim/reset-stats', {});
      const runs = await syncAndWait(box, 'fid', ['memberships', 'apps'], 120_000);
      for (const run of runs) expect(run.status, `${run.resource}: ${JSON.stringify(run.error)}`).toBe('succeeded');
      return { stats: await simStats(sim), text: await metrics() };
    });

    // Exact data: every membership and assignment, INACTIVE apps and theirs live.
    expect(ids(alive(await storedObjects(box, 'fid', 'membership')))).toEqual(truth.memberships);
    expect(ids(alive(await storedObjects(box, 'fid', 'app_user')))).toEqual(truth.appUsers);
    // `okta-sync export --resource app_users` gives the assignments as the objects API does.
    const exported = await runCli(['export', 'fid', '--resource', 'app_users'], box.env());
    expect(exported.code, exported.stderr).toBe(0);
    const rows = exported.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { oktaId: string; type: string; data: { appId: string } });
    expect(ids(rows)).toEqual(truth.appUsers);
    expect(rows.every((r) => r.type === 'app_user' && r.oktaId.startsWith(`${r.data.appId}:`))).toBe(true);
    const apps = alive(await storedObjects(box, 'fid', 'app'));
    expect(ids(apps)).toEqual(truth.apps.map((a) => a.id).sort());
    for (const app of inactive) expect(apps.find((a) => a.oktaId === app.id)?.data).toMatchObject({ status: 'INACTIVE' });

    // Windows: within the share, none refused, and the budget (not slowness) held the rate.
    expect(stats.rateLimited).toBe(0);
    expect(stats.concurrencyRejected).toBe(0);
    for (const bucket of ['groups', 'apps'] as const) {
      const windows = stats.windows[bucket] ?? [];
      process.stdout.write(`[fidelity ${bucket}] ${JSON.stringify(windowFigures(windows, 0.5))}\n`);
      expect(windows.length, bucket).toBeGreaterThanOrEqual(2);
      expect(Math.max(...windows.map((w) => w.used)), bucket).toBe(LIMITS[bucket] / 2);
      for (const w of windows) {
        expect(w.used, `${bucket} window at ${w.startedAtMs}`).toBeLessThanOrEqual(w.limit * 0.5);
        expect(w.rejected).toBe(0);
      }
    }
    for (const [bucket, windows] of Object.entries(stats.windows)) for (const w of windows) expect(w.used, bucket).toBeLessThanOrEqual(w.limit * 0.5);

    // The product's per-bucket counts equal the simulator's, bucket by bucket.
    expectSameBuckets(stats, text);
    expect(totals(stats.requestsByBucket.groups)).toBeGreaterThan(truth.groups.length);
    expect(totals(stats.requestsByBucket.apps)).toBeGreaterThan(truth.apps.length);
    expect(stats.requestsByBucket.other).toBeUndefined();
  });

  it('a DPoP tenant whose org demands API nonces and refuses one proof in 50 syncs exactly', { timeout: 150_000 }, async () => {
    const org = dpopSim.orgs[0]!;
    const add = await runCli(['tenant', 'add', 'dpop', '--domain', org.domain, '--client-id', org.dpopClientId, '--client-secret-stdin', '--dpop'], box.env(), {
      stdin: `${org.dpopClientSecret}\n`,
    });
    expect(add.code, add.stderr).toBe(0);
    const { stats, text } = await withMetricWorkers(async (metrics) => {
      await simJson(dpopSim, '/__sim/reset-stats', {});
      const runs = await syncAndWait(box, 'dpop', ['users', 'groups', 'memberships', 'apps', 'logs'], 120_000);
      for (const run of runs) expect(run.status, `${run.resource}: ${JSON.stringify(run.error)}`).toBe('succeeded');
      return { stats: await simJson<SimStats>(dpopSim, '/__sim/stats'), text: await metrics() };
    });
    const truth = await simJson<OrgTruth>(dpopSim, '/__sim/truth');
    expect(ids(alive(await storedObjects(box, 'dpop', 'user')))).toEqual(truth.users.map((u) => u.id).sort());
    expect(ids(alive(await storedObjects(box, 'dpop', 'group')))).toEqual(truth.groups.map((g) => g.id).sort());
    expect(ids(alive(await storedObjects(box, 'dpop', 'membership')))).toEqual(truth.memberships);
    expect(ids(alive(await storedObjects(box, 'dpop', 'app_user')))).toEqual(truth.appUsers);
    expect(ids(await storedObjects(box, 'dpop', 'log_event'))).toEqual(truth.logEvents.map((e) => e.uuid).sort());

    // Proofs were refused and nonces demanded, and both were answered without failing a page.
    const apiCalls = Object.entries(stats.requestsByBucket).filter(([b]) => b !== 'token').reduce((n, [, s]) => n + totals(s), 0);
    expect(apiCalls).toBeGreaterThan(100);
    expect(stats.faults.dpopRefuse).toBeGreaterThanOrEqual(2);
    process.stdout.write(`[fidelity dpop] ${JSON.stringify({ byBucket: stats.requestsByBucket, faults: stats.faults })}\n`);
    const api = Object.entries(stats.requestsByBucket).filter(([b]) => b !== 'token').map(([, s]) => s);
    const refused400 = api.reduce((n, s) => n + (s?.['400'] ?? 0), 0);
    expect(refused400).toBe(stats.faults.dpopRefuse);
    const nonce401 = api.reduce((n, s) => n + (s?.['401'] ?? 0), 0);
    // The nonce is shared in Redis: at most a few first calls (in flight together) pay the 401 round.
    expect(nonce401).toBeGreaterThanOrEqual(1);
    expect(nonce401).toBeLessThanOrEqual(10);
    expectSameBuckets(stats, text);
  });
});

/** Every API bucket: the product's okta_sync_okta_requests_total equals the simulator's count; token requests too. */
function expectSameBuckets(stats: SimStats, text: string): void {
  const simBuckets = Object.keys(stats.requestsByBucket).filter((b) => b !== 'token');
  const productBuckets = [...text.matchAll(/^okta_sync_okta_requests_total\{[^}]*bucket="([^"]+)"/gm)].map((m) => m[1]!);
  const all = [...new Set([...simBuckets, ...productBuckets])].sort();
  const product = Object.fromEntries(all.map((b) => [b, sum(text, 'okta_sync_okta_requests_total', { bucket: b })]));
  const simulator = Object.fromEntries(all.map((b) => [b, totals(stats.requestsByBucket[b])]));
  process.stdout.write(`[fidelity buckets] ${JSON.stringify({ product, simulator })}\n`);
  expect(product).toEqual(simulator);
  expect(all.length).toBeGreaterThanOrEqual(2);
}
