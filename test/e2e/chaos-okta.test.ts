import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOktaSim, type OktaSim } from '../../src/okta-sim/index.js';
import { createSandbox, type Sandbox } from '../helpers/fixtures.js';
import { stopProcess, waitFor } from '../helpers/processes.js';
import { scenario, type Worker } from '../helpers/sync-scenario.js';

/**
 * Issue 9 chaos on the Okta side, with two real worker processes: a 5xx storm with latency
 * spikes, every token revoked mid-run, and the tenant's credentials rotated mid-run (with the old
 * client then refused). Each run must still finish with exactly the simulator's users, each once.
 */
let sim: OktaSim;
let box: Sandbox;
let s: ReturnType<typeof scenario>;
let workers: Worker[] = [];

/** 10 pages of 200 per run. */
const USERS = 2_000;
/** Pages slow enough that "mid-run" is a window of a few seconds. */
const SLOW = { latencyMs: { min: 500, max: 600 } };

beforeAll(async () => {
  box = createSandbox('chaos-okta');
  sim = await startOktaSim({ orgs: 3, users: USERS, groups: 1, apps: 1, logs: 1, seed: 23, rateLimits: 'unlimited' });
  s = scenario(sim, box);
  workers = [s.startWorker(2), s.startWorker(2)];
});

afterAll(async () => {
  await s?.close();
  await Promise.all(workers.map((w) => stopProcess(w)));
  await sim?.close();
  box?.cleanup();
});

async function expectSucceeded(runId: string): Promise<Awaited<ReturnType<typeof s.run>>> {
  const run = await s.waitForFinal(runId, 60_000);
  expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
  expect(run.counters.objects).toBe(USERS);
  for (const w of workers) expect(w.exitCode, w.output()).toBeNull();
  return run;
}

/** The chaos must land mid-run, or the test proves nothing. */
async function expectMidRun(runId: string): Promise<void> {
  const run = await s.run(runId);
  expect(run.status).toBe('running');
  expect(run.counters.pages).toBeLessThan(USERS / 200);
}

describe('chaos: Okta misbehaves mid-run', () => {
  it('a 5xx storm with latency spikes: failed pages are retried and the run completes exactly', async () => {
    await s.addTenant('storm', 0);
    await s.setFaults(0, SLOW);
    try {
      const runId = await s.startSync('storm');
      await s.waitForPages(runId, 1);
      await s.setFaults(0, { error5xx: 0.5, latencyMs: { min: 50, max: 1_500 } });
      // Let the storm rage until it has answered several 5xx, then leave only latency spikes.
      await waitFor(async () => ((await s.stats(0)).faults.error5xx ?? 0) >= 3, 20_000, 'a few 5xx answers');
      await expectMidRun(runId);
      await s.setFaults(0, { latencyMs: { min: 0, max: 800 } });
      const run = await expectSucceeded(runId);
      expect(run.counters.retries).toBeGreaterThanOrEqual(1);
      await s.expectExactUsers('storm', 0);
    } finally {
      await s.setFaults(0, {});
    }
  });

  it('every token revoked mid-run: the rejected token is replaced and the run completes exactly', async () => {
    await s.addTenant('revoked', 1);
    await s.setFaults(1, SLOW);
    try {
      const runId = await s.startSync('revoked');
      await s.waitForPages(runId, 2);
      const before = await s.stats(1);
      const { revoked } = await s.revokeAllTokens(1);
      expect(revoked).toBeGreaterThanOrEqual(1);
      await expectMidRun(runId);
      const run = await expectSucceeded(runId);
      const after = await s.stats(1);
      // A fresh token was issued after the revocation (and the run used it).
      expect(after.tokensIssued.total).toBeGreaterThan(before.tokensIssued.total);
      expect(run.counters.tokenFetches).toBeGreaterThanOrEqual(2);
      await s.expectExactUsers('revoked', 1);
    } finally {
      await s.setFaults(1, {});
    }
  });

  it('credentials rotated mid-run to another client (the old one then refused): the run completes exactly', async () => {
    await s.addTenant('rotated', 2, 'secret');
    await s.setFaults(2, SLOW);
    const org = s.org(2);
    try {
      const runId = await s.startSync('rotated');
      await s.waitForPages(runId, 2);
      // The customer moves the integration to a private_key_jwt client; the old secret client loses
      // its grants and every token it was issued is revoked, so only the new credentials work.
      await s.addTenant('rotated', 2, 'private_key');
      await s.configureClient(2, { clientId: org.clientId, grantedScopes: [] });
      await s.revokeAllTokens(2);
      await expectMidRun(runId);
      await expectSucceeded(runId);
      const stats = await s.stats(2);
      expect(stats.tokensIssued.byClient[org.privateKeyClientId] ?? 0).toBeGreaterThanOrEqual(1);
      await s.expectExactUsers('rotated', 2);
    } finally {
      await s.setFaults(2, {});
    }
  });
});
