import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
  }, 20_000);
});
