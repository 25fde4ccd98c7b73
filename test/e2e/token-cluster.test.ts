import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type OktaSim, type SimOrgInfo, startOktaSim } from '../../src/okta-sim/index.js';
import { createSandbox, type Sandbox } from '../helpers/fixtures.js';
import { BIN, runCli, stopProcess } from '../helpers/processes.js';

/**
 * Issue 4 acceptance with real worker processes (4 x concurrency 25) and a simulator that answers
 * token requests after 300 ms: one token request per scope set from a cold start; with 20 s tokens
 * and a sync of over a minute, about one request per lifetime and never an expired token; and
 * nothing secret in any output, at LOG_LEVEL=debug.
 */
const USERS = 'okta.users.read';
const GROUPS = 'okta.groups.read';
const WORKERS = 4;
const CONCURRENCY = 25;

interface RunJson {
  runId: string;
  resource: string;
  status: string;
  startedAt: string | null;
  finishedAt: string | null;
  error: { code: string; message: string } | null;
}

interface Stats {
  tokenRequests: { total: number; byClient: Record<string, number>; byScopes: Record<string, number> };
  tokensIssued: { total: number };
  requestsByBucket: Record<string, Record<string, number>>;
  foreignTokens: number;
  rateLimited: number;
}

/** Everything every process of a test printed, kept whole (not only the tail) for the secrets grep. */
const transcript: string[] = [];
const live = new Set<ChildProcess>();
const sims: OktaSim[] = [];
const boxes: Sandbox[] = [];

function startWorkers(box: Sandbox): ChildProcess[] {
  return Array.from({ length: WORKERS }, () => {
    const child = spawn(process.execPath, [BIN, 'worker', '--concurrency', String(CONCURRENCY)], {
      env: box.env({ LOG_LEVEL: 'debug' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (d: Buffer) => transcript.push(d.toString());
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    live.add(child);
    child.once('exit', () => live.delete(child));
    return child;
  });
}

async function cli(box: Sandbox, args: string[], stdin?: string): Promise<string> {
  const res = await runCli(args, box.env({ LOG_LEVEL: 'debug' }), { timeoutMs: 150_000, ...(stdin === undefined ? {} : { stdin }) });
  transcript.push(res.stdout, res.stderr);
  expect(res.code, `${args.join(' ')}: ${res.stderr}`).toBe(0);
  return res.stdout;
}

async function addTenant(box: Sandbox, id: string, org: SimOrgInfo, auth: 'secret' | 'private_key' | 'dpop'): Promise<void> {
  const args = ['tenant', 'add', id, '--domain', org.domain];
  if (auth === 'private_key') {
    const pem = join(box.dir, `${id}.pem`);
    writeFileSync(pem, org.privateKeyPem, { mode: 0o600 });
    await cli(box, [...args, '--client-id', org.privateKeyClientId, '--private-key-file', pem, '--key-id', org.keyId]);
  } else if (auth === 'dpop') {
    await cli(box, [...args, '--client-id', org.dpopClientId, '--client-secret-stdin', '--dpop'], `${org.dpopClientSecret}\n`);
  } else {
    await cli(box, [...args, '--client-id', org.clientId, '--client-secret-stdin'], `${org.clientSecret}\n`);
  }
}

async function syncWait(box: Sandbox, tenantId: string, resources: string[]): Promise<RunJson[]> {
  const out = await cli(box, ['sync', tenantId, '--resources', resources.join(','), '--wait', '--json']);
  const runs = (JSON.parse(out) as { runs: RunJson[] }).runs;
  for (const run of runs) expect(run.status, `${run.resource}: ${JSON.stringify(run.error)}`).toBe('succeeded');
  return runs;
}

async function stats(org: SimOrgInfo): Promise<Stats> {
  return (await (await fetch(`${org.baseUrl}/__sim/stats`)).json()) as Stats;
}

/** No API call was refused for its token: an expired (or revoked, or foreign) token is a 401. */
function expectNoRefusedToken(s: Stats): void {
  for (const [bucket, byStatus] of Object.entries(s.requestsByBucket)) {
    if (bucket !== 'token') expect(byStatus['401'] ?? 0, `401s in ${bucket}`).toBe(0);
  }
  expect(s.foreignTokens).toBe(0);
}

/**
 * Every access token the org issued. The simulator has no endpoint for them (it must not leak
 * them either), so the test reads its token store; the count is checked against its stats.
 */
function issuedTokens(sim: OktaSim, i: number): string[] {
  const store = Reflect.get(sim.org(i), 'tokens') as object | undefined;
  const map = store && (Reflect.get(store, 'tokens') as Map<string, unknown> | undefined);
  if (!(map instanceof Map)) throw new Error('the simulator no longer keeps issued tokens where this test looks');
  return [...map.keys()];
}

/** Neither secrets, PEM lines, issued tokens (or any of their parts), assertions nor proofs in anything printed. */
async function expectNoSecrets(sim: OktaSim, orgCount: number, debugLines: boolean): Promise<void> {
  const all = transcript.join('');
  expect(all).toContain('worker ready');
  if (debugLines) expect(all).toContain('"level":20');
  for (let i = 0; i < orgCount; i++) {
    const org = sim.orgs[i]!;
    const tokens = issuedTokens(sim, i);
    expect(tokens.length).toBe((await stats(org)).tokensIssued.total);
    for (const secret of [org.clientSecret, org.dpopClientSecret]) expect(all.includes(secret)).toBe(false);
    for (const line of [...org.privateKeyPem.split('\n'), ...org.esPrivateKeyPem.split('\n')].filter((l) => l.length > 20 && !l.startsWith('-'))) {
      expect(all.includes(line), 'a PEM line').toBe(false);
    }
    for (const token of tokens) {
      for (const part of [token, ...token.split('.').slice(1)]) expect(all.includes(part), 'an access token').toBe(false);
    }
  }
  // Tokens, client assertions and DPoP proofs are all JWS: no two base64url JSON segments anywhere.
  expect(all).not.toMatch(/eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}/);
  expect(all).not.toMatch(/(Bearer|DPoP|Basic) [A-Za-z0-9_=-]{20,}/);
}

afterEach(async () => {
  await Promise.all([...live].map((c) => stopProcess(c, 'SIGTERM', 10_000)));
});

afterAll(async () => {
  await Promise.all([...live].map((c) => stopProcess(c, 'SIGKILL', 1_000)));
  await Promise.all(sims.map((s) => s.close()));
  for (const box of boxes) box.cleanup();
});

describe('token service across 4 worker processes x concurrency 25', () => {
  it('from a cold start: exactly one token request per scope set (users, groups, memberships over 120 groups)', async () => {
    transcript.length = 0;
    const box = createSandbox('token-cold');
    boxes.push(box);
    const sim = await startOktaSim({ orgs: 2, users: 1_000, groups: 120, apps: 1, logs: 1, seed: 4, tokenDelayMs: 300, rateLimits: 'unlimited' });
    sims.push(sim);
    const [acme, beta] = [sim.orgs[0]!, sim.orgs[1]!];
    await Promise.all([addTenant(box, 'acme', acme, 'secret'), addTenant(box, 'beta', beta, 'private_key'), addTenant(box, 'gamma', beta, 'dpop')]);
    startWorkers(box);
    const [runs] = await Promise.all([
      syncWait(box, 'acme', ['users', 'groups', 'memberships']),
      syncWait(box, 'beta', ['users']),
      syncWait(box, 'gamma', ['groups']),
    ]);
    expect(runs.map((r) => r.resource).sort()).toEqual(['groups', 'memberships', 'users']);
    const s = await stats(acme);
    expect(s.tokenRequests.byScopes).toEqual({ [GROUPS]: 1, [USERS]: 1 });
    // Member listings spend the groups bucket (OKTA-FACTS): 120 of them beside one groups page.
    expect(s.requestsByBucket.groups?.['200'] ?? 0, 'member listings of 120 groups').toBeGreaterThanOrEqual(100);
    expectNoRefusedToken(s);
    // Org 2: the private_key_jwt tenant's one request, and the DPoP tenant's nonce round + its one request.
    const b = await stats(beta);
    expect(b.tokenRequests.byClient).toEqual({ [beta.privateKeyClientId]: 1, [beta.dpopClientId]: 2 });
    expect(b.tokensIssued.total).toBe(2);
    expectNoRefusedToken(b);
    await stopWorkers();
    await expectNoSecrets(sim, 2, false);
  });

  it('with 20 s tokens and a sync of over a minute: about one request per lifetime per scope set, never an expired token', async () => {
    transcript.length = 0;
    const box = createSandbox('token-life');
    boxes.push(box);
    // Slow answers and a modest users limit (8 per 10 s window) stretch the work; both scope sets stay busy throughout.
    const sim = await startOktaSim({
      users: 1_000,
      groups: 120,
      apps: 1,
      logs: 1,
      seed: 5,
      tokenTtlSeconds: 20,
      tokenDelayMs: 300,
      rateLimits: { users: 8 },
      rateWindowSeconds: 10,
      faults: { latencyMs: { min: 250, max: 350 } },
    });
    sims.push(sim);
    const org = sim.orgs[0]!;
    await addTenant(box, 'acme', org, 'secret');
    const issuedAt: Record<string, number[]> = { [USERS]: [], [GROUPS]: [] };
    // When each token request happened, to within the 200 ms this watcher polls the simulator's counters.
    let watching = true;
    const watcher = (async () => {
      const seen: Record<string, number> = {};
      while (watching) {
        const byScopes = (await stats(org)).tokenRequests.byScopes;
        for (const [scope, n] of Object.entries(byScopes)) {
          const times = issuedAt[scope] ?? [];
          issuedAt[scope] = times;
          for (let k = seen[scope] ?? 0; k < n; k++) times.push(Date.now());
          seen[scope] = n;
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    const started = Date.now();
    startWorkers(box);
    const rounds = { users: 0, groups: 0 };
    // Runs of one resource are one at a time (a second request returns the active run), so loop.
    const loop = async (resources: string[], key: keyof typeof rounds) => {
      while (Date.now() - started < 62_000) {
        await syncWait(box, 'acme', resources);
        rounds[key]++;
      }
    };
    try {
      await Promise.all([loop(['users'], 'users'), loop(['groups', 'memberships'], 'groups')]);
      await new Promise((r) => setTimeout(r, 400));
    } finally {
      watching = false;
      await watcher;
    }
    const lastedMs = Date.now() - started;
    process.stderr.write(
      `[token e2e] ${lastedMs} ms, rounds ${JSON.stringify(rounds)}, token requests at ${JSON.stringify(
        Object.fromEntries(Object.entries(issuedAt).map(([k, v]) => [k, v.map((t) => t - started)])),
      )} ms\n`,
    );
    expect(lastedMs).toBeGreaterThan(60_000);
    expect(rounds.users).toBeGreaterThanOrEqual(3);
    expect(rounds.groups).toBeGreaterThanOrEqual(3);
    const s = await stats(org);
    expectNoRefusedToken(s);
    expect(Object.keys(s.tokenRequests.byScopes).sort()).toEqual([GROUPS, USERS]);
    for (const scope of [USERS, GROUPS]) {
      const times = issuedAt[scope]!;
      expect(times.length).toBe(s.tokenRequests.byScopes[scope]);
      // Each token serves ~90% of its 20 s life before the one refresh that replaces it.
      const gaps = times.slice(1).map((t, i) => t - times[i]!);
      for (const gap of gaps) expect(gap, `${scope} gaps ${gaps.join(', ')}`).toBeGreaterThan(17_000);
      expect(times.length).toBeLessThanOrEqual(Math.ceil(lastedMs / 20_000) + 1);
    }
    await stopWorkers();
    // Rate-limited pages were delayed, which workers log at debug level.
    await expectNoSecrets(sim, 1, true);
  }, 150_000);
});

async function stopWorkers(): Promise<void> {
  await Promise.all([...live].map((c) => stopProcess(c, 'SIGTERM', 10_000)));
}
