import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/cli/private-redis.js';
import { startOktaSim, type OktaSim } from '../../src/okta-sim/index.js';
import { shardOf, shardPrefix } from '../../src/shared/queue-shards.js';
import { createSandbox, type Sandbox } from '../helpers/fixtures.js';
import { runCli, startCliProcess, stopProcess, waitFor } from '../helpers/processes.js';
import { type RedisClusterFixture, startRedisCluster, topologyToolsAvailable } from '../helpers/redis-topologies.js';
import { probe, scenario, type Worker } from '../helpers/sync-scenario.js';
import { mutate, storedObjects, truthOf } from './sync-harness.js';

/**
 * Issue 18 acceptance: OKTA_SYNC_QUEUE_SHARDS=3 on a 3-master Redis Cluster. 12 tenants sync
 * exactly (each against the simulator's truth), every master holds keys, and every tenant's
 * jobs and tokens sit in its own shard's slot.
 */
const tools = topologyToolsAvailable();
if (!tools.ok) console.warn(`[redis cluster shards e2e] skipped: ${tools.missing.join(', ')} not on PATH`);
const TENANTS = 12;
const USERS = 40;
const SHARDS = 3;
const API_KEY = 'cluster-shards-e2e-api-key-0123456789ab';
let sim: OktaSim;
let box: Sandbox;
let cluster: RedisClusterFixture;
let prefix: string;

beforeAll(async () => {
  if (!tools.ok) return;
  box = createSandbox('cluster-shards');
  cluster = await startRedisCluster(3);
  // No prefix hunting: shard tags are chosen per equal slot range (src/shared/queue-shards.ts), so on
  // a cluster created with equal ranges the 3 shards of any prefix sit on 3 masters.
  prefix = box.queuePrefix;
  const masters = await Promise.all(Array.from({ length: SHARDS }, (_, s) => cluster.masterOf(shardPrefix(prefix, s, SHARDS))));
  expect(new Set(masters).size).toBe(SHARDS);
  sim = await startOktaSim({ orgs: TENANTS, users: USERS, groups: 1, apps: 1, logs: 1, seed: 181, rateLimits: 'unlimited' });
}, 120_000);

afterAll(async () => {
  await sim?.close();
  await cluster?.stop();
  box?.cleanup();
});

describe.skipIf(!tools.ok)(tools.ok ? 'queue shards on a Redis Cluster (3 masters, 3 shards)' : 'queue shards (skipped: redis tools missing)', () => {
  it('12 tenants sync exactly, each master holds keys, each tenant lives in its shard', async () => {
    const env = () =>
      box.env({ REDIS_URL: 'redis://127.0.0.1:1', REDIS_CLUSTER_NODES: cluster.nodesVar, QUEUE_PREFIX: prefix, OKTA_SYNC_QUEUE_SHARDS: String(SHARDS), OKTA_SYNC_API_KEYS: API_KEY });
    const s = scenario(sim, box, env);
    const [port, apiPort] = [await freePort(), await freePort()];
    // One worker on every shard, one on shards 1 and 2 only (WORKER_SHARDS).
    const workers: Worker[] = [s.startWorker(6, { METRICS_PORT: String(port) }), s.startWorker(4, { WORKER_SHARDS: '1,2' })];
    const api = startCliProcess(['api', '--port', String(apiPort)], env());
    try {
      await waitFor(async () => (await probe(port, '/readyz'))?.status === 200, 60_000, 'worker ready');
      await waitFor(async () => (await probe(apiPort, '/readyz'))?.status === 200, 60_000, 'api ready');
      const tenants = Array.from({ length: TENANTS }, (_, i) => `s${i}`);
      expect(new Set(tenants.map((t) => shardOf(t, SHARDS))).size).toBe(SHARDS);
      for (const [i, t] of tenants.entries()) await s.addTenant(t, i);
      const runs: string[] = [];
      for (const t of tenants.slice(0, -1)) runs.push(await s.startSync(t));
      const res = await fetch(`http://127.0.0.1:${apiPort}/v1/tenants/${tenants.at(-1)}/syncs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json', 'idempotency-key': 'shards-e2e' },
        body: JSON.stringify({ resources: ['users'] }),
      });
      expect(res.status).toBe(202);
      runs.push(((await res.json()) as { runs: { runId: string }[] }).runs[0]?.runId ?? '');
      for (const [i, runId] of runs.entries()) {
        const run = await s.waitForFinal(runId, 90_000);
        expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
        expect(run.counters.objects).toBe(USERS);
        await s.expectExactUsers(`s${i}`, i);
      }
      // The watch in a shard other than 0: its scheduler, poll, events and refresh jobs all run in
      // the tenant's shard, and an Okta change reaches the store.
      const watched = tenants.find((t) => shardOf(t, SHARDS) !== 0)!;
      const org = tenants.indexOf(watched);
      const turnedOn = await runCli(['tenant', 'watch', watched, '--interval', '5'], env());
      expect(turnedOn.code, turnedOn.stderr).toBe(0);
      const changed = (await truthOf(sim, org)).users[0]!.id;
      await mutate(sim, org, [{ op: 'updateUser', id: changed, profile: { title: 'Seen by a sharded watch' } }]);
      const titleOf = (o: { data: unknown }) => (o.data as { profile: { title?: string } }).profile.title;
      await waitFor(
        async () => (await storedObjects(box, watched, 'user')).some((u) => u.oktaId === changed && titleOf(u) === 'Seen by a sharded watch'),
        30_000,
        'the watched change in the store',
      );
      expect((await runCli(['tenant', 'watch', watched, '--off'], env())).code).toBe(0);
      // Each master carries a shard; the count is recorded in the global {prefix} slot.
      for (const size of await cluster.dbsizes()) expect(size).toBeGreaterThan(0);
      const c = (await import('ioredis')).Cluster;
      const client = new c(cluster.nodesVar.split(',').map((n) => ({ host: '127.0.0.1', port: Number(n.split(':')[1]) })));
      try {
        await waitFor(async () => client.status === 'ready', 20_000, 'cluster client ready');
        expect(await client.get(`{${prefix}}:shards`)).toBe(String(SHARDS));
        for (const t of tenants) {
          const home = shardOf(t, SHARDS);
          for (let shard = 0; shard < SHARDS; shard++) {
            const tokens = await scanAll(client, `${shardPrefix(prefix, shard, SHARDS)}:token:${t}:*`);
            if (shard === home) expect(tokens.length, `${t}'s token in shard ${shard}`).toBeGreaterThan(0);
            else expect(tokens, `${t}'s token outside its shard ${home}`).toEqual([]);
          }
        }
        // Every key of ours is under one of the 3 shard tags or the global tag.
        const tags = new Set([`{${prefix}}`, ...Array.from({ length: SHARDS }, (_, i) => shardPrefix(prefix, i, SHARDS))]);
        for (const key of await scanAll(client, '*')) expect(tags.has(key.slice(0, key.indexOf('}') + 1)), key).toBe(true);
        // Tenant removal finds its token in its shard.
        expect((await runCli(['tenant', 'remove', 's0'], env())).code).toBe(0);
        expect(await scanAll(client, `${shardPrefix(prefix, shardOf('s0', SHARDS), SHARDS)}:token:s0:*`)).toEqual([]);
      } finally {
        client.disconnect();
      }
      // Bull Board: one entry per shard; queue depth summed over the shards.
      const board = await fetch(`http://127.0.0.1:${apiPort}/admin/queues/api/queues`, { headers: { authorization: `Bearer ${API_KEY}` } });
      expect(board.status).toBe(200);
      const names = ((await board.json()) as { queues: { name: string }[] }).queues.map((q) => q.name).sort();
      expect(names).toEqual(['shard0-sync', 'shard1-sync', 'shard2-sync', 'webhooks']);
      const metrics = await probe(port, '/metrics');
      expect(metrics?.body).toMatch(/okta_sync_queue_jobs\{state="waiting"\} 0/);
      expect(metrics?.body).toMatch(/okta_sync_queue_jobs\{state="failed"\} 0/);
      for (const w of workers) expect(w.exitCode, w.output()).toBeNull();
    } finally {
      await s.close();
      await Promise.all([...workers, api].map((w) => stopProcess(w)));
    }
    // With the workers gone, a queued run is pending: a worker at another count is refused (exit 2, one line).
    const queued = await runCli(['sync', 's1', '--resources', 'users', '--json'], env());
    expect(queued.code, queued.stderr).toBe(0);
    // The CLI with the default count would queue where no worker looks: refused before it queues.
    const stray = await runCli(['sync', 's2', '--resources', 'users'], { ...env(), OKTA_SYNC_QUEUE_SHARDS: '1' });
    expect(stray.code).toBe(2);
    expect(stray.stderr).toContain('set OKTA_SYNC_QUEUE_SHARDS=3');
    const refused = await runCli(['worker'], { ...env(), OKTA_SYNC_QUEUE_SHARDS: '2' });
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toContain('OKTA_SYNC_QUEUE_SHARDS');
  }, 180_000);
});

async function scanAll(client: import('ioredis').Cluster, pattern: string): Promise<string[]> {
  const found: string[] = [];
  for (const node of client.nodes('master')) found.push(...(await node.scan('0', 'MATCH', pattern, 'COUNT', 100_000))[1]);
  return found;
}
