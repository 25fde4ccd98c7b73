import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { freePort } from '../src/cli/private-redis.js';
import { putTenant } from '../src/producer/tenant-service.js';
import { generateKeySpec, parseKeyring } from '../src/shared/crypto.js';
import { enqueueSync } from '../src/shared/enqueue-sync.js';
import { asRunId, asTenantId } from '../src/shared/ids.js';
import { openSyncQueue } from '../src/shared/queue.js';
import { createRedis } from '../src/shared/redis.js';
import { openStore } from '../src/shared/store/open-store.js';
import type { RunRecord, SyncStore } from '../src/shared/store/sync-store.js';

/**
 * Real processes for the end-to-end and memory benches: the simulator and N workers of the built
 * `bin/okta-sync` (what an operator runs), a fresh SQLite store and queue prefix per deployment,
 * and an in-process producer that registers tenants and queues runs.
 */
export interface SimOrgJson {
  domain: string;
  baseUrl: string;
  privateKeyClientId: string;
  privateKeyPem: string;
  keyId: string;
}

export interface SimProcess {
  orgs: SimOrgJson[];
  stop(): Promise<void>;
}

export interface WorkerProcess {
  pid: number;
  /** Peak resident set size so far (`VmHWM` in /proc/<pid>/status), in bytes; NaN off Linux. */
  peakRssBytes(): number;
}

export interface Deployment {
  /** The deployment's store, as the workers see it (a separate connection). */
  store: SyncStore;
  storePath: string;
  /** Starts `count` worker processes and resolves once every one answers /readyz 200. */
  startWorkers(count: number, concurrency: number): Promise<WorkerProcess[]>;
  /** Registers org `org` as tenant `tenantId` with its private_key_jwt client. */
  addTenant(tenantId: string, org: SimOrgJson): Promise<void>;
  /** Queues a full users run per tenant; resolves with the run ids. */
  syncUsers(tenantIds: string[]): Promise<string[]>;
  /** Polls the store until every run is final; throws if one did not succeed. */
  waitRuns(runIds: readonly string[], timeoutMs: number): Promise<RunRecord[]>;
  close(): Promise<void>;
}

export const BIN = findBin();

function findBin(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'bin', 'okta-sync');
    if (existsSync(candidate) && existsSync(join(dir, 'package.json'))) return candidate;
    const up = dirname(dir);
    if (up === dir) throw new Error('bin/okta-sync not found above this file');
    dir = up;
  }
}

/** `okta-sync okta-sim <args>` in its own process (its own core on a 2-core machine). */
export async function startSimProcess(args: string[]): Promise<SimProcess> {
  const child = spawn(process.execPath, [BIN, 'okta-sim', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-2_000);
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`okta-sim exited ${code}: ${stderr}`)));
  });
  child.stdout?.resume();
  return { orgs: (JSON.parse(line) as { orgs: SimOrgJson[] }).orgs, stop: () => stopChild(child) };
}

export async function startDeployment(options: { redisUrl: string; name: string }): Promise<Deployment> {
  const dir = mkdtempSync(join(tmpdir(), `okta-sync-bench-${options.name}-`));
  const keys = generateKeySpec('bench');
  const storePath = join(dir, 'store.db');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? dir,
    REDIS_URL: options.redisUrl,
    STORE_URL: `sqlite:${storePath}`,
    QUEUE_PREFIX: `bench-${options.name}-${randomBytes(4).toString('hex')}`,
    OKTA_SYNC_ENCRYPTION_KEYS: keys,
    OKTA_SYNC_ALLOW_INSECURE_LOOPBACK: 'true',
    // The simulator runs with unlimited rate limits: measure the engine, not Okta's budget.
    OKTA_SYNC_RATE_SHARE: '1',
    LOG_LEVEL: 'warn',
  };
  const store = await openStore(env.STORE_URL!);
  const redis = createRedis(options.redisUrl);
  const queue = openSyncQueue(redis, env.QUEUE_PREFIX!);
  const keyring = parseKeyring(keys);
  const workers: ChildProcess[] = [];

  return {
    store,
    storePath,
    async startWorkers(count, concurrency) {
      const started = await Promise.all(
        Array.from({ length: count }, async () => {
          const port = await freePort();
          const child = spawn(process.execPath, [BIN, 'worker', '--concurrency', String(concurrency)], {
            env: { ...env, METRICS_PORT: String(port) },
            stdio: ['ignore', 'ignore', 'inherit'],
          });
          workers.push(child);
          await waitReady(child, port);
          return { pid: child.pid ?? 0, peakRssBytes: () => peakRss(child.pid ?? 0) };
        }),
      );
      return started;
    },
    async addTenant(tenantId, org) {
      await putTenant(
        { store, keyring, domainPolicy: { allowInsecureLoopback: true, customDomains: [] } },
        { tenantId: asTenantId(tenantId), oktaDomain: org.domain, clientId: org.privateKeyClientId, privateKeyPem: org.privateKeyPem, keyId: org.keyId },
      );
    },
    async syncUsers(tenantIds) {
      const ids: string[] = [];
      for (const tenantId of tenantIds) {
        const runs = await enqueueSync({ store, queues: { forTenant: () => queue } }, { tenantId: asTenantId(tenantId), resources: ['users'], mode: 'full' });
        ids.push(...runs.map((r) => r.runId));
      }
      return ids;
    },
    async waitRuns(runIds, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const runs = await Promise.all(runIds.map(async (id) => (await store.getRun(asRunId(id)))!));
        if (runs.every((r) => r.status !== 'queued' && r.status !== 'running')) {
          const bad = runs.find((r) => r.status !== 'succeeded');
          if (bad) throw new Error(`run ${bad.runId} ${bad.status}: ${bad.error?.code ?? ''} ${bad.error?.message ?? ''}`);
          return runs;
        }
        if (Date.now() > deadline) throw new Error(`runs not finished within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async close() {
      await Promise.all(workers.map((w) => stopChild(w)));
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
      await redis.quit();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitReady(child: ChildProcess, port: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`worker exited ${child.exitCode} before it was ready`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('worker not ready within 60 s');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `VmHWM` of a process: its peak resident set size, which the kernel tracks for us. */
export function peakRss(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1];
    return kb === undefined ? Number.NaN : Number(kb) * 1024;
  } catch {
    return Number.NaN;
  }
}

export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
