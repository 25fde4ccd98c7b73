import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOktaSim, type OktaSim } from '../../src/okta-sim/index.js';
import { asTenantId } from '../../src/shared/ids.js';
import { createRedis } from '../../src/shared/redis.js';
import { SqliteStore } from '../../src/shared/store/sqlite-store.js';
import type { RunRecord } from '../../src/shared/store/sync-store.js';
import { createSandbox, type Sandbox } from '../helpers/fixtures.js';
import { runCli, startCliProcess, stopProcess, waitFor } from '../helpers/processes.js';

/**
 * Issue 2 acceptance through the CLI contract with real processes: tenant add, two workers,
 * sync --wait --json, export; a worker SIGKILLed mid-sync; bad settings exit 2.
 */
let sim: OktaSim;
let box: Sandbox;

beforeAll(async () => {
  box = createSandbox('skeleton');
  sim = await startOktaSim({ orgs: 2, users: 1_000, seed: 42, rateLimits: 'unlimited' });
});

afterAll(async () => {
  await sim?.close();
  box?.cleanup();
});

async function addTenant(id: string, orgIndex: number) {
  const org = sim.orgs[orgIndex]!;
  const res = await runCli(['tenant', 'add', id, '--domain', org.domain, '--client-id', org.clientId, '--client-secret-stdin'], box.env(), {
    stdin: `${org.clientSecret}\n`,
  });
  expect(res.stderr).toBe('');
  expect(res.code).toBe(0);
  expect(res.stdout).not.toContain(org.clientSecret);
}

async function setFaults(orgIndex: number, faults: object) {
  const res = await fetch(`${sim.orgs[orgIndex]!.baseUrl}/__sim/faults`, {
    method: 'POST',
    body: JSON.stringify(faults),
    headers: { 'content-type': 'application/json' },
  });
  expect(res.status).toBe(200);
}

/** Reads runs straight from the store file: a CLI process per poll is too slow under load. */
async function listRuns(tenantId: string): Promise<RunRecord[]> {
  const store = new SqliteStore(box.storePath);
  try {
    return await store.listRuns({ tenantId: asTenantId(tenantId), limit: 10 });
  } finally {
    await store.close();
  }
}

async function truthUsers(orgIndex: number): Promise<{ id: string; status: string }[]> {
  const res = await fetch(`${sim.orgs[orgIndex]!.baseUrl}/__sim/truth`);
  return ((await res.json()) as { users: { id: string; status: string }[] }).users;
}

function exportedIds(ndjson: string): string[] {
  return ndjson
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { oktaId: string }).oktaId);
}

describe('walking skeleton', () => {
  it('syncs every user of an untuned simulated org exactly once with two worker processes', async () => {
    await addTenant('acme', 0);
    const workers = [startCliProcess(['worker', '--concurrency', '4'], box.env()), startCliProcess(['worker', '--concurrency', '4'], box.env())];
    try {
      const res = await runCli(['sync', 'acme', '--resources', 'users', '--wait', '--json'], box.env());
      expect(res.code, res.stderr).toBe(0);
      const summary = JSON.parse(res.stdout) as { runs: { status: string; counters: { objects: number; pages: number } }[] };
      expect(summary.runs).toHaveLength(1);
      expect(summary.runs[0]!.status).toBe('succeeded');
      const truth = await truthUsers(0);
      const exported = await runCli(['export', 'acme', '--resource', 'users'], box.env());
      expect(exported.code).toBe(0);
      const ids = exportedIds(exported.stdout);
      expect(new Set(ids).size).toBe(ids.length);
      const active = truth.filter((u) => u.status !== 'DEPROVISIONED').map((u) => u.id);
      expect(active.length).toBeGreaterThan(0);
      expect(ids).toEqual(expect.arrayContaining(active));
      expect(ids.sort()).toEqual(truth.map((u) => u.id).sort());
      expect(summary.runs[0]!.counters.objects).toBe(truth.length);
    } finally {
      await Promise.all(workers.map((w) => stopProcess(w)));
    }
  });

  it('completes a run with no user lost or duplicated when a worker is SIGKILLed mid-sync', async () => {
    await addTenant('kill', 1);
    // Slow pages so the kill lands mid-chain.
    await setFaults(1, { latencyMs: { min: 900, max: 1100 } });
    const victim = startCliProcess(['worker', '--concurrency', '2'], box.env());
    let survivor: ReturnType<typeof startCliProcess> | undefined;
    try {
      const sync = runCli(['sync', 'kill', '--resources', 'users', '--wait', '--json'], box.env(), { timeoutMs: 120_000 });
      // With only the victim running, the page in flight when it dies is certainly its own.
      const before = await waitFor(async () => {
        const runs = await listRuns('kill');
        return runs[0] && runs[0].counters.pages >= 1 ? runs[0] : undefined;
      }, 30_000, 'two pages');
      victim.kill('SIGKILL');
      expect(before.status).toBe('running');
      survivor = startCliProcess(['worker', '--concurrency', '2'], box.env());
      const res = await sync;
      expect(res.code, res.stderr).toBe(0);
      const run = (JSON.parse(res.stdout) as { runs: { status: string; counters: { pages: number } }[] }).runs[0]!;
      expect(run.status).toBe('succeeded');
      expect(run.counters.pages).toBe(5);
      const ids = exportedIds((await runCli(['export', 'kill', '--resource', 'users'], box.env())).stdout);
      const truth = await truthUsers(1);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.sort()).toEqual(truth.map((u) => u.id).sort());
    } finally {
      await setFaults(1, {});
      await stopProcess(victim, 'SIGKILL');
      if (survivor) await stopProcess(survivor);
    }
  });

  it('demo --orgs 2 --users 500 --workers 2 --json exits 0 and reports every simulated user stored', async () => {
    const env = box.env({ QUEUE_PREFIX: `${box.queuePrefix}-demo` });
    delete env.OKTA_SYNC_ENCRYPTION_KEYS;
    delete env.STORE_URL;
    const res = await runCli(['demo', '--orgs', '2', '--users', '500', '--workers', '2', '--json'], env, { timeoutMs: 120_000 });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toContain('ephemeral key');
    const summary = JSON.parse(res.stdout) as { ok: boolean; tenants: { objects: Record<string, number>; expected: Record<string, number>; pages: number }[] };
    expect(summary.ok).toBe(true);
    expect(summary.tenants).toHaveLength(2);
    for (const t of summary.tenants) {
      expect(t.expected.users).toBe(500);
      expect(t.objects.users).toBe(500);
      expect(t.pages).toBeGreaterThanOrEqual(3);
    }
    // The demo did not start this Redis, so it leaves none of its queue keys in it.
    const redis = createRedis(box.redisUrl);
    try {
      const left: string[] = [];
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', '{okta-sync-demo-*', 'COUNT', 1_000);
        cursor = next;
        left.push(...keys);
      } while (cursor !== '0');
      expect(left).toEqual([]);
    } finally {
      await redis.quit();
    }
  });

  it.each([
    ['REDIS_URL', 'redis//nope'],
    ['REDIS_URL', 'http://127.0.0.1:6379'],
    ['STORE_URL', 'postgres://db/x'],
    ['STORE_URL', 'sqlite:'],
  ])('exits 2 with one line naming %s when it is malformed (%s)', async (name, value) => {
    const res = await runCli(['runs', 'list'], box.env({ [name]: value }));
    expect(res.code).toBe(2);
    const lines = res.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(name);
  });

  it('refuses to run without OKTA_SYNC_ENCRYPTION_KEYS, naming it', async () => {
    const env = box.env();
    delete env.OKTA_SYNC_ENCRYPTION_KEYS;
    const res = await runCli(['tenant', 'add', 'x', '--domain', 'x.okta.com', '--client-id', 'abc', '--client-secret-stdin'], env, { stdin: 'secret' });
    expect(res.code).toBe(2);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toContain('OKTA_SYNC_ENCRYPTION_KEYS');
  });
});
