import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOktaSim, type OktaSim } from '../../src/okta-sim/index.js';
import { generateKeySpec } from '../../src/shared/crypto.js';
import { createSandbox, type Sandbox } from '../helpers/fixtures.js';
import { runCli, stopProcess, waitFor } from '../helpers/processes.js';
import { exited, scenario, type Worker } from '../helpers/sync-scenario.js';

/**
 * Issue 9 chaos: the credential encryption key is rotated while a run is in flight, the way an
 * operator does it with rolling restarts: (1) workers move to `new,old` (drained one by one),
 * (2) `okta-sync keys rotate`, (3) workers move to `new` alone. A worker that only knows `new`
 * refuses to start before step 2 (exit 2 naming the variable). The run completes exactly.
 */
let sim: OktaSim;
let box: Sandbox;
const OLD = generateKeySpec('old');
const NEW = generateKeySpec('new');
const USERS = 3_000;

beforeAll(async () => {
  box = createSandbox('chaos-keys');
  sim = await startOktaSim({ orgs: 1, users: USERS, groups: 1, apps: 1, logs: 1, seed: 31, rateLimits: 'unlimited' });
});

afterAll(async () => {
  await sim?.close();
  box?.cleanup();
});

const keys = (spec: string) => box.env({ OKTA_SYNC_ENCRYPTION_KEYS: spec });

describe('chaos: encryption key rotated mid-run', () => {
  it('rolling restarts to new,old, keys rotate, rolling restart to new: no page lost, exact data', async () => {
    const s = scenario(sim, box, () => keys(OLD));
    const started: Worker[] = [];
    const start = (spec: string) => {
      const w = s.startWorker(2, { OKTA_SYNC_ENCRYPTION_KEYS: spec, LOG_LEVEL: 'info' });
      started.push(w);
      return w;
    };
    const drain = async (w: Worker) => {
      const exit = exited(w);
      w.kill('SIGTERM');
      expect((await exit).code, w.output()).toBe(0);
    };
    try {
      await s.addTenant('keys', 0);
      await s.setFaults(0, { latencyMs: { min: 900, max: 1_000 } });
      const w1 = start(OLD);
      const runId = await s.startSync('keys');
      await s.waitForPages(runId, 1);

      // A replica rolled out with only the new key, too early: it must refuse to start.
      const early = await runCli(['worker'], keys(NEW), { timeoutMs: 30_000 });
      expect(early.code).toBe(2);
      expect(early.stderr.trim().split('\n')).toHaveLength(1);
      expect(early.stderr).toContain('OKTA_SYNC_ENCRYPTION_KEYS');

      // Step 1: roll to new,old.
      const w2 = start(`${NEW},${OLD}`);
      await waitFor(async () => w2.output().includes('worker ready'), 30_000, 'w2 ready');
      await drain(w1);
      // Step 2: re-encrypt every credential under the new key.
      const rotated = await runCli(['keys', 'rotate'], keys(`${NEW},${OLD}`));
      expect(rotated.code, rotated.stderr).toBe(0);
      expect(JSON.parse(rotated.stdout)).toMatchObject({ primaryKid: 'new', reencrypted: 1, failed: [] });
      // Step 3: roll to new alone.
      const w3 = start(NEW);
      await waitFor(async () => w3.output().includes('worker ready'), 30_000, 'w3 ready');
      await drain(w2);
      const handedOver = await s.run(runId);
      expect(handedOver.status, 'the run must still be in flight when only the new key is left').toBe('running');

      const run = await s.waitForFinal(runId, 45_000);
      expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
      expect(run.counters.objects).toBe(USERS);
      await s.setFaults(0, {});
      await s.expectExactUsers('keys', 0);
    } finally {
      await s.close();
      await s.setFaults(0, {});
      await Promise.all(started.map((w) => stopProcess(w, 'SIGKILL')));
    }
  });
});
