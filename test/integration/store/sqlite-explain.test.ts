import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SQLITE_PURGE_TASKS } from '../../../src/shared/store/sqlite-purge.js';
import { SQLITE_QUERIES, type SqliteQueryName } from '../../../src/shared/store/sqlite-queries.js';
import { SqliteStore } from '../../../src/shared/store/sqlite-store.js';

/**
 * `EXPLAIN QUERY PLAN` on every hot-path statement of the SQLite adapter (the very strings it runs):
 * each must be answered from the index named here, and none may scan a table. Plans are taken
 * without ANALYZE statistics, as a deployment runs. The only scan allowed is the ordered walk of
 * runs_by_created under a LIMIT (listing the newest runs of all tenants), which stops at the limit.
 */
const EXPECTED: Record<SqliteQueryName, string[]> = {
  activeRun: ['runs_one_active'],
  runById: ['sqlite_autoindex_runs_1'],
  runsOfTenant: ['runs_by_tenant_created'],
  runsOfAll: ['runs_by_created'],
  sweepAll: ['objects_live'],
  sweepPrefix: ['objects_live (tenant_id=? AND type=? AND okta_id>? AND okta_id<?)'],
  sweepOne: ['objects_live (tenant_id=? AND type=? AND okta_id=?'],
  // A hard-deleted user's memberships: the tenant's live objects of one type (rare events only).
  sweepSuffix: ['objects_live (tenant_id=? AND type=?)'],
  countDeleted: ['sqlite_autoindex_runs_1'],
  listLive: ['objects_live'],
  listAll: ['PRIMARY KEY'],
  countLive: ['COVERING INDEX objects_live'],
  countAll: ['PRIMARY KEY'],
  finishRun: ['sqlite_autoindex_runs_1', 'run_pages USING PRIMARY KEY', 'COVERING INDEX objects_deleted_by'],
  watermark: ['PRIMARY KEY'],
  deleteTenantObjects: ['PRIMARY KEY'],
  deleteTenantRuns: ['runs_by_tenant_created'],
  deleteTenantPages: ['run_pages_by_tenant'],
  deleteTenantState: ['PRIMARY KEY'],
};

const PURGE_EXPECTED: Record<string, string[]> = {
  tombstones: ['objects_tombstones'],
  run_pages: ['run_pages_by_committed', 'sqlite_autoindex_runs_1'],
  runs: ['runs_finished'],
  log_events: ['objects_log_events'],
};

const ORDERED_WALKS = new Set(['SCAN runs USING INDEX runs_by_created']);

/** A value for every named parameter the statements use. */
const PARAMS: Record<string, unknown> = {
  tenantId: 't',
  resource: 'users',
  runId: 'r',
  limit: 10,
  type: 'user',
  at: '2024-01-01T00:00:00.000Z',
  countFor: 'r',
  prefix: 'g:',
  oktaId: 'g:u',
  suffix: ':u',
  deleted: 1,
  after: '',
  status: 'succeeded',
  error: null,
  cutoff: '2024-01-01T00:00:00.000Z',
  batch: 5000,
};

let dir = '';
let db: Database.Database;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'okta-sync-explain-'));
  const file = join(dir, 'store.db');
  await new SqliteStore(file).close(); // creates the schema exactly as the adapter does
  db = new Database(file, { readonly: true });
});

afterAll(async () => {
  db?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function plan(sql: string): string[] {
  const used = Object.fromEntries(Object.entries(PARAMS).filter(([name]) => new RegExp(`@${name}\\b`).test(sql)));
  return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(used) as { detail: string }[]).map((row) => row.detail);
}

function expectIndexed(detail: string[], expected: string[]): void {
  const scans = detail.filter((d) => d.startsWith('SCAN') && !ORDERED_WALKS.has(d));
  expect(scans, detail.join('\n')).toEqual([]);
  for (const part of expected) expect(detail.some((d) => d.includes(part)), `${part} in:\n${detail.join('\n')}`).toBe(true);
}

describe('SQLite query plans', () => {
  it('covers every statement in SQLITE_QUERIES and every purge task', () => {
    expect(Object.keys(EXPECTED).sort()).toEqual(Object.keys(SQLITE_QUERIES).sort());
    expect(Object.keys(PURGE_EXPECTED).sort()).toEqual(SQLITE_PURGE_TASKS.map((t) => t.name).sort());
  });

  it.each(Object.keys(EXPECTED) as SqliteQueryName[])('%s uses its index, no table scan', (name) => {
    expectIndexed(plan(SQLITE_QUERIES[name]), EXPECTED[name]);
  });

  it.each(SQLITE_PURGE_TASKS.map((t) => [t.name, t.sql] as const))('purge task %s uses its index, no table scan', (name, sql) => {
    expectIndexed(plan(sql), PURGE_EXPECTED[name] ?? ['(no expectation)']);
  });

  it('the check itself catches a table scan', () => {
    const detail = plan('SELECT * FROM objects WHERE data = @after');
    expect(detail.some((d) => d.startsWith('SCAN objects'))).toBe(true);
  });
});
