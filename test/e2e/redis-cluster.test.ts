import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/cli/private-redis.js';
import { startOktaSim, type OktaSim } from '../../src/okta-sim/index.js';
import { createSandbox, type Sandbox } from '../helpers/fixtures.js';
import { runCli, startCliProcess, stopProcess, waitFor } from '../helpers/processes.js';
import { type RedisClusterFixture, startRedisCluster, topologyToolsAvailable } from '../helpers/redis-topologies.js';
import { probe, scenario, type Worker } from '../helpers/sync-scenario.js';

/**
 * Issue 18: the service on a real 3-master Redis Cluster (REDIS_CLUSTER_NODES, REDIS_URL unset):
 * worker processes, the API, the CLI and the metrics queue depth all go through the cluster client, a
 * multi-tenant sync is exact, and tenant removal purges its keys on the master that holds them.
 */
const tools = topologyToolsAvailable();
if (!tools.ok) console.warn(`[redis cluster e2e] skipped: ${tools.missing.join(', ')} not on PATH (apt-get install -y redis-server redis-tools)`);
const TENANTS = 4;
const USERS = 300;
const API_KEY = 'cluster-e2e-api-key-0123456789abcdef';
let sim: OktaSim;
let box: Sandbox;
let cluster: RedisClusterFixture;

beforeAll(async () => {
  if (!tools.ok) return;
  box = createSandbox('redis-cluster');
  cluster = await startRedisCluster(3);
  sim = await startOktaSim({ orgs: TENANTS, users: USERS, groups: 1, apps: 1, logs: 1, seed: 18, rateLimits: 'unlimited' });
}, 120_000);

afterAll(async () => {
  await sim?.close();
  await cluster?.stop();
  box?.cleanup();
});

describe.skipIf(!tools.ok)(tools.ok ? 'Redis Cluster (3 masters)' : 'Redis Cluster (skipped: redis-server/redis-cli missing)', () => {
  it('a multi-tenant sync on the cluster is exact, with every key of ours in the one {prefix} slot', async () => {
    const env = () => box.env({ REDIS_URL: 'redis://127.0.0.1:1', REDIS_CLUSTER_NODES: cluster.nodesVar, OKTA_SYNC_API_KEYS: API_KEY });
    const s = scenario(sim, box, env);
    const port = await freePort();
    const apiPort = await freePort();
    const workers: Worker[] = [s.startWorker(4, { METRICS_PORT: String(port) }), s.startWorker(4)];
    const api = startCliProcess(['api', '--port', String(apiPort)], env());
    try {
      await waitFor(async () => (await probe(port, '/readyz'))?.status === 200, 60_000, 'worker ready on the cluster');
      await waitFor(async () => (await probe(apiPort, '/readyz'))?.status === 200, 60_000, 'api ready on the cluster');
      for (let i = 0; i < TENANTS; i++) await s.addTenant(`c${i}`, i);
      const runs: string[] = [];
      for (let i = 0; i < TENANTS - 1; i++) runs.push(await s.startSync(`c${i}`));
      // The last tenant through the API, twice with one Idempotency-Key: the second answer is replayed.
      const viaApi = async () => {
        const res = await fetch(`http://127.0.0.1:${apiPort}/v1/tenants/c${TENANTS - 1}/syncs`, {
          method: 'POST',
          headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json', 'idempotency-key': 'cluster-e2e' },
          body: JSON.stringify({ resources: ['users'] }),
        });
        expect(res.status).toBe(202);
        return { replayed: res.headers.get('idempotent-replayed'), runId: ((await res.json()) as { runs: { runId: string }[] }).runs[0]?.runId ?? '' };
      };
      const [first, second] = [await viaApi(), await viaApi()];
      expect(second).toEqual({ replayed: 'true', runId: first.runId });
      runs.push(first.runId);
      for (const [i, runId] of runs.entries()) {
        const run = await s.waitForFinal(runId, 120_000);
        expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
        expect(run.counters.objects).toBe(USERS);
        await s.expectExactUsers(`c${i}`, i);
      }
      // Queue depth through the cluster client (BullMQ's multi-key scripts run in the {prefix} slot).
      const metrics = await probe(port, '/metrics');
      expect(metrics?.body).toMatch(/okta_sync_queue_jobs\{state="waiting"\} 0/);
      expect(metrics?.body).toMatch(/okta_sync_queue_jobs\{state="failed"\} 0/);

      // One hash tag = one slot = one master: every key of this sandbox is on exactly one master.
      const c = new Cluster(cluster.nodesVar.split(',').map((n) => ({ host: '127.0.0.1', port: Number(n.split(':')[1]) })));
      try {
        await waitFor(async () => c.status === 'ready', 20_000, 'cluster client ready');
        // This cluster is private to the test: every key on it is BullMQ's or ours, all under the tag.
        const holders: number[] = [];
        for (const node of c.nodes('master')) {
          const [, keys] = await node.scan('0', 'MATCH', '*', 'COUNT', 100_000);
          expect(keys.filter((k) => !k.startsWith(`{${box.queuePrefix}}:`))).toEqual([]);
          if (keys.length > 0) holders.push(node.options.port ?? 0);
        }
        expect(holders).toHaveLength(1);
        // Tenant removal purges its cached token on that master (SCAN per master, not on a random node).
        const tokenKeys = async () => {
          const found: string[] = [];
          for (const node of c.nodes('master')) found.push(...(await node.scan('0', 'MATCH', `{${box.queuePrefix}}:token:c0:*`, 'COUNT', 100_000))[1]);
          return found;
        };
        expect((await tokenKeys()).length).toBeGreaterThan(0);
        const removed = await runCli(['tenant', 'remove', 'c0'], env());
        expect(removed.code, removed.stderr).toBe(0);
        expect(await tokenKeys()).toEqual([]);
      } finally {
        c.disconnect();
      }
      for (const w of workers) expect(w.exitCode, w.output()).toBeNull();
    } finally {
      await s.close();
      await Promise.all([...workers, api].map((w) => stopProcess(w)));
    }
  }, 240_000);

  it('bad REDIS_CLUSTER_NODES stops the worker with exit 2 and one line naming the variable', async () => {
    const res = await runCli(['worker'], box.env({ REDIS_CLUSTER_NODES: '127.0.0.1' }));
    expect(res.code).toBe(2);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toContain('REDIS_CLUSTER_NODES');
  });
});
