import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { putTenant } from '../src/producer/tenant-service.js';
import { generateKeySpec, parseKeyring } from '../src/shared/crypto.js';
import { enqueueSync } from '../src/shared/enqueue-sync.js';
import { asRunId, asTenantId } from '../src/shared/ids.js';
import { readConfig } from '../src/shared/config.js';
import { openSyncQueues, type ShardedQueues } from '../src/shared/sharded-queues.js';
import { createRedis, type Redis } from '../src/shared/redis.js';
import type { Resource } from '../src/shared/resources.js';
import { openStore } from '../src/shared/store/open-store.js';
import type { RunRecord, SyncMode, SyncStore } from '../src/shared/store/sync-store.js';
import { BIN } from './e2e-harness.js';

/**
 * A whole okta-sync deployment for sync benches and tests: simulator and worker processes of the
 * built `bin/okta-sync`, a private SQLite store and queue prefix, and an in-process producer
 * (store + queue) that registers tenants, queues runs and reads them back.
 */
export interface SimOrgJson {
  domain: string;
  baseUrl: string;
  clientId: string;
  clientSecret: string;
}

export interface SyncCluster {
  store: SyncStore;
  /** The sync queue, its Redis connection and prefix, as the producer holds them (watches, schedules). */
  producer: { queues: ShardedQueues; redis: Redis; queuePrefix: string };
  /** Starts `okta-sync okta-sim …` in its own process and returns its orgs. */
  startSim(args: string[]): Promise<SimOrgJson[]>;
  startWorkers(count: number, concurrency: number): void;
  stopWorkers(): Promise<void>;
  addTenant(tenantId: string, org: SimOrgJson): Promise<void>;
  sync(tenantId: string, resources: Resource[], mode?: SyncMode): Promise<string[]>;
  /** Cancels a run: its remaining page jobs see the final status and end the chain. */
  cancel(runId: string): Promise<void>;
  /** The run as stored now. */
  runNow(runId: string): Promise<RunRecord>;
  /** Polls the store until every run is final. */
  waitRuns(runIds: readonly string[], timeoutMs?: number): Promise<RunRecord[]>;
  close(): Promise<void>;
}

export async function startSyncCluster(options: { redisUrl: string; name: string; env?: Record<string, string> }): Promise<SyncCluster> {
  const dir = mkdtempSync(join(tmpdir(), `okta-sync-${options.name}-`));
  const keys = generateKeySpec('bench');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? dir,
    REDIS_URL: options.redisUrl,
    STORE_URL: `sqlite:${join(dir, 'store.db')}`,
    QUEUE_PREFIX: `${options.name}-${randomBytes(4).toString('hex')}`,
    OKTA_SYNC_ENCRYPTION_KEYS: keys,
    OKTA_SYNC_ALLOW_INSECURE_LOOPBACK: 'true',
    LOG_LEVEL: 'warn',
    ...options.env,
  };
  const store = await openStore(env.STORE_URL!);
  // Redis and the queue shards as the workers see them (REDIS_CLUSTER_NODES, OKTA_SYNC_QUEUE_SHARDS in `env`).
  const config = readConfig(env);
  const redis: Redis = createRedis(config.redis);
  const queues = openSyncQueues(redis, config.queuePrefix, config.queueShards);
  const keyring = parseKeyring(keys);
  const children: ChildProcess[] = [];
  let workers: ChildProcess[] = [];

  return {
    store,
    producer: { queues, redis, queuePrefix: env.QUEUE_PREFIX! },
    async startSim(args) {
      const sim = await startSimProcess(args);
      children.push(sim.child);
      return sim.orgs;
    },
    startWorkers(count, concurrency) {
      for (let i = 0; i < count; i++) {
        const child = spawn(process.execPath, [BIN, 'worker', '--concurrency', String(concurrency)], { env, stdio: ['ignore', 'ignore', 'inherit'] });
        workers.push(child);
      }
    },
    async stopWorkers() {
      await Promise.all(workers.map((w) => stop(w)));
      workers = [];
    },
    async addTenant(tenantId, org) {
      const domainPolicy = { allowInsecureLoopback: true, customDomains: [] };
      await putTenant({ store, keyring, domainPolicy }, { tenantId: asTenantId(tenantId), oktaDomain: org.domain, clientId: org.clientId, clientSecret: org.clientSecret });
    },
    async sync(tenantId, resources, mode = 'full') {
      const runs = await enqueueSync({ store, queues }, { tenantId: asTenantId(tenantId), resources, mode });
      return runs.map((r) => r.runId);
    },
    async cancel(runId) {
      await store.finishRun(asRunId(runId), { status: 'cancelled', at: new Date().toISOString() });
    },
    async runNow(runId) {
      const run = await store.getRun(asRunId(runId));
      if (!run) throw new Error(`no run ${runId}`);
      return run;
    },
    async waitRuns(runIds, timeoutMs = 600_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const runs = await Promise.all(runIds.map(async (id) => (await store.getRun(asRunId(id)))!));
        if (runs.every((r) => r.status !== 'queued' && r.status !== 'running')) return runs;
        if (Date.now() > deadline) throw new Error(`runs not finished within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async close() {
      await Promise.all([...workers, ...children].map((c) => stop(c)));
      for (const queue of queues.queues) await queue.obliterate({ force: true }).catch(() => undefined);
      await queues.close();
      await redis.quit();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `okta-sync okta-sim …` in its own process (as real orgs are other servers). */
export async function startSimProcess(args: string[]): Promise<{ orgs: SimOrgJson[]; child: ChildProcess; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [BIN, 'okta-sim', ...args], { env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr?.resume();
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`okta-sim exited ${code}`)));
  });
  child.stdout?.resume();
  return { orgs: (JSON.parse(line) as { orgs: SimOrgJson[] }).orgs, child, stop: () => stop(child) };
}

/** How long a run took, from being queued to its final status. */
export function runMs(run: RunRecord): number {
  return Date.parse(run.finishedAt ?? '') - Date.parse(run.createdAt);
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
