import { expect } from 'vitest';
import type { OktaSim } from '../../src/okta-sim/index.js';
import type { OrgTruth } from '../../src/okta-sim/truth.js';
import { asTenantId } from '../../src/shared/ids.js';
import { SqliteStore } from '../../src/shared/store/sqlite-store.js';
import type { ObjectType, RunRecord, StoredObject } from '../../src/shared/store/sync-store.js';
import type { Sandbox } from '../helpers/fixtures.js';
import { runCli } from '../helpers/processes.js';

/** Shared steps of the sync e2e files: tenants, runs through the CLI, reading the store and the simulator. */
export async function addTenant(box: Sandbox, sim: OktaSim, id: string, orgIndex: number): Promise<void> {
  const org = sim.orgs[orgIndex]!;
  const res = await runCli(['tenant', 'add', id, '--domain', org.domain, '--client-id', org.clientId, '--client-secret-stdin'], box.env(), {
    stdin: `${org.clientSecret}\n`,
  });
  expect(res.code, res.stderr).toBe(0);
}

/** `okta-sync sync … --wait --json` as a real process; returns the final runs. */
export async function syncAndWait(box: Sandbox, tenantId: string, resources: string[], mode: 'full' | 'incremental' = 'full'): Promise<RunRecord[]> {
  const t0 = Date.now();
  const res = await runCli(['sync', tenantId, '--resources', resources.join(','), '--mode', mode, '--wait', '--json'], box.env(), { timeoutMs: 120_000 });
  process.stderr.write(`[sync] ${tenantId} ${mode} ${resources.join(',')}: ${Date.now() - t0} ms\n`);
  expect(res.code, res.stderr).toBe(0);
  const runs = (JSON.parse(res.stdout) as { runs: RunRecord[] }).runs;
  for (const run of runs) expect(run.status, `${run.resource}: ${JSON.stringify(run.error)}`).toBe('succeeded');
  return runs;
}

export async function simJson<T>(sim: OktaSim, orgIndex: number, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${sim.orgs[orgIndex]!.baseUrl}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}

export const truthOf = (sim: OktaSim, orgIndex: number) => simJson<OrgTruth>(sim, orgIndex, '/__sim/truth');

export async function mutate(sim: OktaSim, orgIndex: number, ops: unknown[]): Promise<{ ok: boolean; id?: string; error?: string }[]> {
  const { results } = await simJson<{ results: { ok: boolean; id?: string; error?: string }[] }>(sim, orgIndex, '/__sim/mutate', ops);
  for (const r of results) expect(r.ok, r.error).toBe(true);
  return results;
}

/** Reads a tenant's objects straight from the SQLite file the workers write. */
export async function storedObjects(box: Sandbox, tenantId: string, type: ObjectType, includeDeleted = false): Promise<StoredObject[]> {
  const store = new SqliteStore(box.storePath);
  try {
    const out: StoredObject[] = [];
    let after: string | undefined;
    do {
      const page = await store.listObjects({ tenantId: asTenantId(tenantId), type, limit: 5000, includeDeleted, ...(after ? { after } : {}) });
      out.push(...page.items);
      after = page.next ?? undefined;
    } while (after);
    return out;
  } finally {
    await store.close();
  }
}

export const alive = (objects: StoredObject[]) => objects.filter((o) => o.deletedAt === null);
export const ids = (objects: { oktaId: string }[]) => objects.map((o) => o.oktaId).sort();
export const runOf = (runs: RunRecord[], resource: string) => runs.find((r) => r.resource === resource)!;
