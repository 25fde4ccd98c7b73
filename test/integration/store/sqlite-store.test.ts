import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { asTenantId } from '../../../src/shared/ids.js';
import { SqliteStore } from '../../../src/shared/store/sqlite-store.js';
import { describeStoreContract } from './store-contract.js';
import { runRecord } from './store-fixtures.js';

let dir = '';
const opened: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'okta-sync-sqlite-'));
});

afterEach(async () => {
  for (const file of opened.splice(0)) {
    await Promise.all(['', '-wal', '-shm'].map((suffix) => rm(`${file}${suffix}`, { force: true })));
  }
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function freshFile(): string {
  const file = join(dir, `${randomUUID()}.db`);
  opened.push(file);
  return file;
}

describeStoreContract('SQLite', async (hooks) => new SqliteStore(freshFile(), { hooks }));

const CHILD = fileURLToPath(new URL('./fixtures/commit-pages-child.ts', import.meta.url));
const CRASH_CHILD = fileURLToPath(new URL('./fixtures/crash-commit-child.ts', import.meta.url));
const REGISTER_TS = new URL('./fixtures/register-ts.mjs', import.meta.url).href;

interface Writer {
  child: ChildProcess;
  /** Settles when the writer says it is ready, or rejects when it exits before that. */
  ready: Promise<void>;
  /** How many of its commits were first, its exit code and its stderr (for the failure message). */
  done: Promise<{ first: number; code: number | null; stderr: string }>;
}

function forkWriter(args: string[]): Writer {
  const child = fork(CHILD, args, { execArgv: ['--import', REGISTER_TS], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  let stderr = '';
  let first = -1;
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const ready = new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`writer exited (${code}) before it was ready: ${stderr}`)));
  });
  child.on('message', (message: { first?: number }) => {
    if (typeof message.first === 'number') first = message.first;
  });
  const done = once(child, 'exit').then(([code]) => ({ first, code: code as number | null, stderr }));
  return { child, ready, done };
}

describe('SQLite adapter across processes', () => {
  it('two processes commit pages to one WAL file concurrently without SQLITE_BUSY or lost counts', async () => {
    const file = freshFile();
    const tenantId = asTenantId('acme');
    const store = new SqliteStore(file);
    const { run } = await store.createRunUnlessActive(runRecord(tenantId, 'users'));
    const [pages, perPage] = [60, 10];

    const writers = ['w1', 'w2'].map((name) => forkWriter([file, name, tenantId, run.runId, String(pages), String(perPage)]));
    try {
      await Promise.all(writers.map((w) => w.ready));
      for (const { child } of writers) child.send('go');
      const results = await Promise.all(writers.map(({ done }) => done));
      for (const r of results) expect(r, r.stderr).toMatchObject({ code: 0 });

      // Each shared page is first for exactly one writer; each own page for its writer.
      const distinctPages = pages + 2 * pages;
      expect(results.reduce((sum, r) => sum + r.first, 0)).toBe(distinctPages);
      expect((await store.getRun(run.runId))?.counters).toMatchObject({
        pages: distinctPages,
        objects: distinctPages * perPage,
        requests: 2 * 2 * pages,
      });
      expect(await store.countObjects({ tenantId, type: 'user' })).toBe(distinctPages * perPage);
    } finally {
      for (const { child } of writers) if (child.exitCode === null) child.kill();
      await store.close();
    }
  }, 60_000);
});

describe('SQLite adapter killed mid-commit', () => {
  it.each(['afterPageObjects', 'afterPageRecord'])('a process SIGKILLed at %s leaves nothing half-written; the retry counts exactly', async (hook) => {
    const file = freshFile();
    const tenantId = asTenantId('acme');
    const store = new SqliteStore(file);
    try {
      const { run } = await store.createRunUnlessActive(runRecord(tenantId, 'users'));
      const page = (key: string) => ({
        tenantId,
        runId: run.runId,
        type: 'user' as const,
        pageKey: key,
        objects: ['k1', 'k2', 'k3'].map((id) => ({ oktaId: `${key}-${id}`, data: { id }, oktaLastUpdated: null })),
        at: new Date().toISOString(),
      });
      expect(await store.commitPage(page('p1'))).toBe(true);

      const child = fork(CRASH_CHILD, [file, tenantId, run.runId, 'p2', hook], { execArgv: ['--import', REGISTER_TS], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
      let stderr = '';
      child.stderr?.on('data', (chunk: Buffer) => {
        stderr += chunk.toString('utf8');
      });
      const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
      expect({ code, signal }, stderr).toEqual({ code: null, signal: 'SIGKILL' });

      // The killed transaction is rolled back: neither the objects nor the page record are there.
      expect(await store.countObjects({ tenantId, type: 'user' })).toBe(3);
      expect((await store.getRun(run.runId))?.counters).toMatchObject({ pages: 1, objects: 3 });
      expect(await store.commitPage(page('p2'))).toBe(true);
      expect(await store.commitPage(page('p2'))).toBe(false);
      expect(await store.finishRun(run.runId, { status: 'succeeded', at: new Date().toISOString() })).toBe(true);
      expect((await store.getRun(run.runId))?.counters).toMatchObject({ pages: 2, objects: 6 });
      expect(await store.countObjects({ tenantId, type: 'user' })).toBe(6);
    } finally {
      await store.close();
    }
  }, 30_000);
});

describe('SQLite schema upgrade', () => {
  it('opens a file made by the first schema: adds deleted_by, swaps the indexes, keeps the data', async () => {
    const file = freshFile();
    const old = new Database(file);
    old.exec(`
      CREATE TABLE objects (tenant_id TEXT NOT NULL, type TEXT NOT NULL, okta_id TEXT NOT NULL, data TEXT NOT NULL,
        okta_last_updated TEXT, synced_at TEXT NOT NULL, run_id TEXT NOT NULL, deleted_at TEXT,
        PRIMARY KEY (tenant_id, type, okta_id)) WITHOUT ROWID;
      CREATE INDEX objects_by_run ON objects (tenant_id, type, run_id);
      INSERT INTO objects VALUES ('acme', 'user', '00u1', '{}', NULL, '2024-05-01T10:00:00.000Z', 'run_a', NULL);`);
    old.close();
    const store = new SqliteStore(file);
    await store.close();
    const db = new Database(file, { readonly: true });
    try {
      const columns = (db.prepare('PRAGMA table_info(objects)').all() as { name: string }[]).map((c) => c.name);
      expect(columns).toContain('deleted_by');
      const indexes = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'objects'").all() as { name: string }[]).map((i) => i.name);
      expect(indexes).not.toContain('objects_by_run');
      expect(indexes).toEqual(expect.arrayContaining(['objects_live', 'objects_tombstones', 'objects_deleted_by']));
      expect(db.prepare('SELECT COUNT(*) AS n FROM objects').get()).toEqual({ n: 1 });
    } finally {
      db.close();
    }
  });
});
