import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { OktaSim } from '../../src/okta-sim/index.js';
import { asRunId } from '../../src/shared/ids.js';
import { openStore } from '../../src/shared/store/open-store.js';
import type { SyncStore } from '../../src/shared/store/sync-store.js';
import type { Sandbox } from './fixtures.js';
import { runCli, startCliProcess } from './processes.js';

/**
 * Steps shared by the chaos and shutdown e2e tests: everything goes through the CLI contract and
 * the simulator's admin routes, against real worker processes.
 */
export interface RunSummary {
  runId: string;
  status: string;
  error: { code: string; message: string } | null;
  counters: { pages: number; objects: number; requests: number; retries: number; tokenFetches: number; rateLimited: number };
}

export type Worker = ReturnType<typeof startCliProcess>;

export function scenario(sim: OktaSim, box: Sandbox, env: () => Record<string, string> = () => box.env()) {
  // Progress is polled from the store directly (a CLI call per poll is too slow to catch "mid-page").
  let store: Promise<SyncStore> | undefined;
  const org = (i: number) => {
    const info = sim.orgs[i];
    if (!info) throw new Error(`no org ${i}`);
    return info;
  };
  const admin = async (i: number, path: string, body?: object): Promise<unknown> => {
    const res = await fetch(`${org(i).baseUrl}/__sim/${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    expect(res.status, `/__sim/${path}`).toBe(200);
    return res.json();
  };
  return {
    org,
    /** Registers org i as a tenant with its client_secret_basic client, or its RS256 private_key_jwt client. */
    async addTenant(tenantId: string, i: number, auth: 'secret' | 'private_key' = 'secret'): Promise<void> {
      const o = org(i);
      const args = ['tenant', 'add', tenantId, '--domain', o.domain];
      let stdin = '';
      if (auth === 'secret') {
        args.push('--client-id', o.clientId, '--client-secret-stdin');
        stdin = `${o.clientSecret}\n`;
      } else {
        const pem = join(box.dir, `${tenantId}-${o.keyId}.pem`);
        writeFileSync(pem, o.privateKeyPem, { mode: 0o600 });
        args.push('--client-id', o.privateKeyClientId, '--private-key-file', pem, '--key-id', o.keyId);
      }
      const res = await runCli(args, env(), { stdin });
      expect(res.stderr).toBe('');
      expect(res.code).toBe(0);
    },
    startWorker(concurrency: number, overrides: Record<string, string> = {}): Worker {
      return startCliProcess(['worker', '--concurrency', String(concurrency)], { ...env(), ...overrides });
    },
    /** Queues a users run; resolves with its run id. */
    async startSync(tenantId: string): Promise<string> {
      const res = await runCli(['sync', tenantId, '--resources', 'users', '--json'], env());
      expect(res.code, res.stderr).toBe(0);
      const runId = (JSON.parse(res.stdout) as { runs: { runId: string }[] }).runs[0]?.runId;
      if (!runId) throw new Error(`no run in ${res.stdout}`);
      return runId;
    },
    async run(runId: string): Promise<RunSummary> {
      store ??= openStore(box.storeUrl);
      const run = await (await store).getRun(asRunId(runId));
      if (!run) throw new Error(`no run ${runId}`);
      return run;
    },
    /** Closes what the scenario opened (the store handle). */
    async close(): Promise<void> {
      await (await store)?.close();
    },
    /** Polls until the run is final (`sync --wait` does the same; a stuck run fails here by timeout). */
    async waitForFinal(runId: string, timeoutMs: number): Promise<RunSummary> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const run = await this.run(runId);
        if (run.status !== 'queued' && run.status !== 'running') return run;
        if (Date.now() > deadline) throw new Error(`run ${runId} still ${run.status} after ${timeoutMs} ms: ${JSON.stringify(run.counters)}`);
        await new Promise((r) => setTimeout(r, 300));
      }
    },
    async waitForPages(runId: string, pages: number, timeoutMs = 30_000): Promise<RunSummary> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const run = await this.run(runId);
        if (run.counters.pages >= pages) return run;
        if (Date.now() > deadline) throw new Error(`run ${runId} has ${run.counters.pages} pages, waited for ${pages}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    setFaults: (i: number, faults: object) => admin(i, 'faults', faults),
    revokeAllTokens: (i: number) => admin(i, 'revoke', {}) as Promise<{ revoked: number }>,
    configureClient: (i: number, change: { clientId: string; grantedScopes?: string[]; dpop?: boolean }) => admin(i, 'clients', change),
    stats: (i: number) => admin(i, 'stats') as Promise<SimStatsJson>,
    /**
     * The exported users equal the simulator's truth: the same ids, each once, and every field the
     * simulator holds equal to what was stored.
     */
    async expectExactUsers(tenantId: string, i: number): Promise<void> {
      const truth = ((await admin(i, 'truth')) as { users: Record<string, unknown>[] }).users;
      const exported = await runCli(['export', tenantId, '--resource', 'users'], env());
      expect(exported.code, exported.stderr).toBe(0);
      const rows = exported.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { oktaId: string; data: Record<string, unknown>; deletedAt: string | null });
      const ids = rows.map((r) => r.oktaId);
      expect(new Set(ids).size, 'no duplicates').toBe(ids.length);
      expect([...ids].sort()).toEqual(truth.map((u) => String(u.id)).sort());
      const byId = new Map(rows.map((r) => [r.oktaId, r]));
      for (const user of truth) {
        const row = byId.get(String(user.id));
        expect(row?.deletedAt ?? null).toBeNull();
        const stored = Object.fromEntries(Object.keys(user).map((k) => [k, row?.data[k]]));
        expect(stored).toEqual(user);
      }
    },
  };
}

export interface SimStatsJson {
  tokenRequests: { total: number; byClient: Record<string, number> };
  tokensIssued: { total: number; byClient: Record<string, number> };
  apiRequests: number;
  faults: Record<string, number>;
  requestsByBucket: Record<string, Record<string, number>>;
}

/** GET on a worker's health server; `null` when nothing answers (the process is gone). */
export async function probe(port: number, path: '/healthz' | '/readyz' | '/metrics'): Promise<{ status: number; body: string } | null> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(2_000) });
    return { status: res.status, body: await res.text() };
  } catch {
    return null;
  }
}

/** Resolves with the exit code and how long after `since` the process ended. */
export function exited(child: Worker, since = Date.now()): Promise<{ code: number | null; afterMs: number }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, afterMs: 0 });
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, afterMs: Date.now() - since })));
}
