import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Command } from 'commander';
import { childEnv, readConfig } from '../shared/config.js';
import { generateKeySpec } from '../shared/crypto.js';
import { UsageError } from '../shared/errors.js';
import { asTenantId } from '../shared/ids.js';
import { objectTypeOf, type Resource } from '../shared/resources.js';
import type { RunRecord } from '../shared/store/sync-store.js';
import { RESOURCE_SYNCS } from '../workers/resources/index.js';
import { deleteByPattern } from '../producer/remove-tenant.js';
import { putTenant } from '../producer/tenant-service.js';
import { closeRedisConnection, createRedis, keyPrefix } from '../shared/redis.js';
import { enqueueSync } from '../shared/enqueue-sync.js';
import { type Child, startOktaSync, startWithJsonLine } from './child-process.js';
import { CliContext } from './context.js';
import { answers, type PrivateRedis, redisServerAvailable, startPrivateRedis } from './private-redis.js';
import { reportError } from './exit.js';
import { counted, createProgressView } from './progress.js';
import { waitForRuns } from './run-commands.js';
import { fetchTruthCounts } from './sim-truth.js';

interface DemoOptions {
  orgs: number;
  users: number;
  workers: number;
  json: boolean;
}

interface SimOrg {
  name: string;
  domain: string;
  baseUrl: string;
  clientId: string;
  clientSecret: string;
}

function positive(name: string, value: string, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new UsageError(`--${name} takes a whole number from 1 to ${max}`);
  return n;
}

export function demoCommand(onExit: (code: number) => void): Command {
  return new Command('demo')
    .description('start a simulated Okta, workers and Redis, sync every org, print a summary, clean up')
    .option('--orgs <n>', 'simulated orgs', '3')
    .option('--users <n>', 'users per org', '2000')
    .option('--workers <n>', 'worker processes', '2')
    .option('--json', 'print the summary as JSON')
    .action(async (o: { orgs: string; users: string; workers: string; json?: boolean }) => {
      try {
        const opts = {
          orgs: positive('orgs', o.orgs, 50),
          users: positive('users', o.users, 1_000_000),
          workers: positive('workers', o.workers, 16),
          json: Boolean(o.json),
        };
        onExit(await runDemo(opts));
      } catch (error) {
        onExit(reportError(error));
      }
    });
}

async function runDemo(opts: DemoOptions): Promise<number> {
  const say = (line: string) => process.stderr.write(`demo: ${line}\n`);
  const base = readConfig();
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    const redisUrl = await demoRedis(base.redisUrlDefaulted, base.redisUrl, say, cleanups);
    const keys = base.encryptionKeys ?? generateKeySpec('demo');
    if (!base.encryptionKeys) say('OKTA_SYNC_ENCRYPTION_KEYS is not set: using an ephemeral key for this demo only');
    const dir = await mkdtemp(join(tmpdir(), 'okta-sync-demo-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const overrides = {
      REDIS_URL: redisUrl,
      STORE_URL: `sqlite:${join(dir, 'demo.db')}`,
      OKTA_SYNC_ENCRYPTION_KEYS: keys,
      OKTA_SYNC_ALLOW_INSECURE_LOOPBACK: 'true',
      QUEUE_PREFIX: `okta-sync-demo-${randomBytes(4).toString('hex')}`,
      LOG_LEVEL: 'warn',
    };
    // A Redis we did not start keeps nothing of ours: the queue keys go once the workers are gone.
    if (redisUrl === base.redisUrl) cleanups.push(() => removeQueueKeys(redisUrl, overrides.QUEUE_PREFIX));
    const env = childEnv(overrides);
    const sim = await startWithJsonLine<{ orgs: SimOrg[] }>(
      ['okta-sim', '--orgs', String(opts.orgs), '--users', String(opts.users), '--seed', '7'],
      env,
    );
    cleanups.push(() => sim.child.stop());
    say(`simulator up: ${sim.value.orgs.map((org) => org.domain).join(', ')}`);
    const workers: Child[] = [];
    for (let i = 0; i < opts.workers; i++) workers.push(startOktaSync(['worker', '--concurrency', '16'], env));
    cleanups.push(() => Promise.all(workers.map((w) => w.stop())));
    say(`${opts.workers} worker processes started`);
    const ctx = new CliContext(readConfig(env));
    cleanups.push(() => ctx.close());
    return await syncAll(ctx, sim.value.orgs, opts, say);
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }
}

async function removeQueueKeys(url: string, queuePrefix: string): Promise<void> {
  const redis = createRedis(url, { maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  try {
    await deleteByPattern(redis, `${keyPrefix(queuePrefix)}:*`);
    // The shards of OKTA_SYNC_QUEUE_SHARDS > 1: `{prefix-0}` … (digits only, not another deployment's prefix).
    await deleteByPattern(redis, `{${queuePrefix}-[0-9]*}:*`);
  } finally {
    await closeRedisConnection(redis);
  }
}

async function demoRedis(
  defaulted: boolean,
  url: string,
  say: (l: string) => void,
  cleanups: (() => Promise<unknown>)[],
): Promise<string> {
  if (!defaulted || (await answers('127.0.0.1', 6379))) return url;
  if (!redisServerAvailable()) {
    throw new UsageError('no Redis: set REDIS_URL, start Redis on 127.0.0.1:6379, or install redis-server (apt-get install redis-server)');
  }
  const redis: PrivateRedis = await startPrivateRedis();
  cleanups.push(() => redis.stop());
  say(`nothing answers on 127.0.0.1:6379: started a private redis-server on port ${redis.port}`);
  return redis.url;
}

async function syncAll(ctx: CliContext, orgs: SimOrg[], opts: DemoOptions, say: (l: string) => void): Promise<number> {
  const store = await ctx.store();
  const resources = Object.keys(RESOURCE_SYNCS) as Resource[];
  const started = Date.now();
  const runIds: string[] = [];
  for (const [i, org] of orgs.entries()) {
    const tenantId = asTenantId(`demo-org-${i + 1}`);
    await putTenant(
      { store, keyring: ctx.keyring(), domainPolicy: ctx.domainPolicy() },
      { tenantId, oktaDomain: org.domain, clientId: org.clientId, clientSecret: org.clientSecret },
    );
    const runs = await enqueueSync({ store, queues: await ctx.queues() }, { tenantId, resources, mode: 'full' });
    runIds.push(...runs.map((r) => r.runId));
  }
  say(`syncing ${resources.join(', ')} of ${orgs.length} orgs`);
  const final = await waitForRuns(store, runIds, !opts.json);
  createProgressView().done();
  const summary = await summarize(ctx, orgs, final, resources, Date.now() - started);
  if (opts.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  else printSummary(summary);
  return summary.ok ? 0 : 1;
}

interface TenantSummary {
  tenantId: string;
  domain: string;
  objects: Record<string, number>;
  expected: Record<string, number>;
  pages: number;
  requests: number;
  rateLimited: number;
  durationMs: number;
  failed: string[];
}

async function summarize(ctx: CliContext, orgs: SimOrg[], runs: RunRecord[], resources: Resource[], totalMs: number) {
  const store = await ctx.store();
  const tenants: TenantSummary[] = [];
  for (const [i, org] of orgs.entries()) {
    const tenantId = asTenantId(`demo-org-${i + 1}`);
    const mine = runs.filter((r) => r.tenantId === tenantId);
    const objects: Record<string, number> = {};
    for (const resource of resources) objects[resource] = await store.countObjects({ tenantId, type: objectTypeOf(resource) });
    const ends = mine.map((r) => Date.parse(r.finishedAt ?? '') || Date.now());
    const starts = mine.map((r) => Date.parse(r.createdAt));
    tenants.push({
      tenantId,
      domain: org.domain,
      objects,
      expected: await fetchTruthCounts(org.baseUrl, resources),
      pages: mine.reduce((n, r) => n + r.counters.pages, 0),
      requests: mine.reduce((n, r) => n + r.counters.requests, 0),
      rateLimited: mine.reduce((n, r) => n + r.counters.rateLimited, 0),
      durationMs: Math.max(...ends) - Math.min(...starts),
      failed: mine.filter((r) => r.status !== 'succeeded').map((r) => `${r.resource}: ${r.error?.message ?? r.status}`),
    });
  }
  const ok = tenants.every((t) => t.failed.length === 0 && resources.every((r) => t.expected[r] === undefined || t.expected[r] === t.objects[r]));
  return { ok, durationMs: totalMs, tenants };
}

function printSummary(s: Awaited<ReturnType<typeof summarize>>): void {
  const out = process.stdout;
  out.write(`\n${s.ok ? 'OK' : 'MISMATCH'}: ${s.tenants.length} tenants in ${(s.durationMs / 1000).toFixed(1)} s\n`);
  for (const t of s.tenants) {
    const objects = Object.entries(t.objects)
      .map(([k, v]) => `${k} ${v}${t.expected[k] !== undefined && t.expected[k] !== v ? ` (expected ${t.expected[k]})` : ''}`)
      .join(', ');
    out.write(`  ${t.tenantId} (${t.domain}): ${objects}; ${counted(t.pages, 'page')}, ${counted(t.requests, 'request')}, ${t.rateLimited} 429s, ${(t.durationMs / 1000).toFixed(1)} s\n`);
    for (const f of t.failed) out.write(`    failed ${f}\n`);
  }
}
