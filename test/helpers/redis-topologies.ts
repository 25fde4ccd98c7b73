import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { answers, freePort } from '../../src/cli/private-redis.js';
import { waitFor } from './wait-for.js';

/**
 * Real Redis topologies for the distributed-Redis e2e tests (issue 18): a Redis Cluster of N
 * masters and a Sentinel set (1 primary, 1 replica, 3 sentinels), each on free loopback ports in
 * its own temp dir, and `stop()` ends every process it started and removes the dir.
 */
export function topologyToolsAvailable(): { ok: boolean; missing: string[] } {
  const missing = ['redis-server', 'redis-cli', 'redis-sentinel'].filter((bin) => spawnSync(bin, ['--version'], { stdio: 'ignore' }).status !== 0);
  return { ok: missing.length === 0, missing };
}

export interface RedisNodeProcess {
  port: number;
  child: ChildProcess;
  /** SIGKILL, no shutdown: a crash. */
  kill(): Promise<void>;
}

const BASE_ARGS = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction'];

async function startServer(args: string[], port: number, bin = 'redis-server'): Promise<RedisNodeProcess> {
  const child = spawn(bin, args, { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  try {
    await waitFor(async () => child.exitCode === null && (await answers('127.0.0.1', port, 200)), 15_000, `${bin} on port ${port}`);
  } catch (error) {
    await kill();
    throw error;
  }
  return { port, child, kill };
}

/** A node's own dir: a replica writes the primary's RDB there during its first sync. */
function mkDir(parent: string, name: string): string {
  const path = join(parent, name);
  mkdirSync(path);
  return path;
}

function info(port: number, section: string): Promise<string> {
  return direct(port, (c) => c.info(section));
}

async function stopAll(nodes: RedisNodeProcess[], dir: string): Promise<void> {
  await Promise.all(nodes.map((n) => n.kill()));
  rmSync(dir, { recursive: true, force: true });
}

export interface RedisClusterFixture {
  /** `REDIS_CLUSTER_NODES` for our processes. */
  nodesVar: string;
  masters: RedisNodeProcess[];
  /** `DBSIZE` of each master, in start order. */
  dbsizes(): Promise<number[]>;
  /** Index (start order) of the master that serves `key`'s slot (CLUSTER KEYSLOT + CLUSTER SLOTS). */
  masterOf(key: string): Promise<number>;
  /** SIGKILLs master i, waits `downMs`, starts it again on its port and dir (AOF replays), waits for `cluster_state:ok`. */
  restartMaster(i: number, downMs: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * N masters without replicas, slots spread by `redis-cli --cluster create`; resolves once every node
 * says `cluster_state:ok`. `aof`: every write fsynced, so a master can be restarted without loss.
 */
export async function startRedisCluster(masters = 3, options: { aof?: boolean } = {}): Promise<RedisClusterFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'okta-sync-redis-cluster-'));
  const nodes: RedisNodeProcess[] = [];
  const argsOf: string[][] = [];
  try {
    for (let i = 0; i < masters; i++) {
      const [port, busPort] = [await freePort(), await freePort()];
      const nodeDir = join(dir, `n${i}`);
      mkdirSync(nodeDir);
      const args = ['--port', String(port), ...BASE_ARGS, '--dir', nodeDir, '--cluster-enabled', 'yes', '--cluster-port', String(busPort)];
      args.push('--cluster-config-file', join(nodeDir, 'nodes.conf'), '--cluster-node-timeout', '5000');
      if (options.aof) args.push('--appendonly', 'yes', '--appendfsync', 'always');
      argsOf.push(args);
      nodes.push(await startServer(args, port));
    }
    const create = spawnSync('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '0', '--cluster-yes'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
    await clusterOk(nodes);
  } catch (error) {
    await stopAll(nodes, dir);
    throw error;
  }
  return {
    nodesVar: nodes.map((n) => `127.0.0.1:${n.port}`).join(','),
    masters: nodes,
    dbsizes: () => Promise.all(nodes.map((n) => direct(n.port, (c) => c.dbsize()))),
    masterOf: (key) =>
      direct(nodes[0]?.port ?? 0, async (c) => {
        const slot = (await c.cluster('KEYSLOT', key)) as number;
        const ranges = await c.cluster('SLOTS');
        const owner = ranges.find(([from, to]) => slot >= from && slot <= to)?.[2]?.[1];
        return nodes.findIndex((n) => n.port === owner);
      }),
    restartMaster: async (i, downMs) => {
      const node = nodes[i];
      const args = argsOf[i];
      if (!node || !args) throw new Error(`no master ${i}`);
      await node.kill();
      await new Promise((r) => setTimeout(r, downMs));
      nodes[i] = await startServer(args, node.port);
      await clusterOk(nodes);
    },
    stop: () => stopAll(nodes, dir),
  };
}

async function clusterOk(nodes: RedisNodeProcess[]): Promise<void> {
  for (const n of nodes) await waitFor(async () => (await clusterState(n.port)) === 'ok', 60_000, `cluster_state:ok on ${n.port}`);
}

async function clusterState(port: number): Promise<string | undefined> {
  const text = await direct(port, (c) => c.cluster('INFO') as Promise<string>).catch(() => '');
  return /cluster_state:(\w+)/.exec(text)?.[1];
}

async function direct<T>(port: number, work: (c: Redis) => Promise<T>): Promise<T> {
  const c = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  try {
    await c.connect();
    return await work(c);
  } finally {
    c.disconnect();
  }
}

export interface RedisSentinelFixture {
  /** `REDIS_SENTINELS` and `REDIS_SENTINEL_NAME` for our processes. */
  env: { REDIS_SENTINELS: string; REDIS_SENTINEL_NAME: string };
  primary: RedisNodeProcess;
  replica: RedisNodeProcess;
  /** The port the sentinels currently name as the primary. */
  primaryPort(): Promise<number>;
  stop(): Promise<void>;
}

const NAME = 'okta-sync-test';

/** One primary, one replica, three sentinels (quorum 2, down after 1 s); resolves once all sentinels see the replica and each other. */
export async function startRedisSentinel(): Promise<RedisSentinelFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'okta-sync-redis-sentinel-'));
  const nodes: RedisNodeProcess[] = [];
  try {
    const primaryPort = await freePort();
    const primary = await startServer(['--port', String(primaryPort), ...BASE_ARGS, '--dir', mkDir(dir, 'primary')], primaryPort);
    nodes.push(primary);
    const replicaPort = await freePort();
    const replica = await startServer(['--port', String(replicaPort), ...BASE_ARGS, '--dir', mkDir(dir, 'replica'), '--replicaof', '127.0.0.1', String(primary.port)], replicaPort);
    nodes.push(replica);
    await waitFor(async () => /master_link_status:up/.test(await info(replicaPort, 'replication').catch(() => '')), 30_000, 'replica in sync');
    const sentinelPorts: number[] = [];
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const conf = join(dir, `sentinel-${i}.conf`);
      writeFileSync(
        conf,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${NAME} 127.0.0.1 ${primary.port} 2`,
          `sentinel down-after-milliseconds ${NAME} 1000`,
          `sentinel failover-timeout ${NAME} 10000`,
          `sentinel parallel-syncs ${NAME} 1`,
          '',
        ].join('\n'),
      );
      nodes.push(await startServer([conf], port, 'redis-sentinel'));
      sentinelPorts.push(port);
    }
    for (const port of sentinelPorts) {
      await waitFor(
        async () => {
          const master = await direct(port, (c) => c.call('SENTINEL', 'MASTER', NAME) as Promise<string[]>).catch(() => [] as string[]);
          const field = (k: string) => master[master.indexOf(k) + 1];
          return field('num-slaves') === '1' && field('num-other-sentinels') === '2';
        },
        30_000,
        `sentinel ${port} sees the replica and the other sentinels`,
      );
    }
    return {
      env: { REDIS_SENTINELS: sentinelPorts.map((p) => `127.0.0.1:${p}`).join(','), REDIS_SENTINEL_NAME: NAME },
      primary,
      replica,
      primaryPort: async () => {
        const reply = await direct(sentinelPorts[0]!, (c) => c.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', NAME) as Promise<string[]>);
        return Number(reply[1]);
      },
      stop: () => stopAll(nodes, dir),
    };
  } catch (error) {
    await stopAll(nodes, dir);
    throw error;
  }
}
