import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisServerAvailable, startPrivateRedis } from '../../src/cli/private-redis.js';
import { createSandbox, type Sandbox } from '../helpers/fixtures.js';
import { runCli, startCliProcess, stopProcess, waitFor } from '../helpers/processes.js';

// Operator mistakes (issue 14, points 3 and 4), each against the real bin/okta-sync: bad settings
// exit 2 with one line naming the variable; an unreachable Redis exits 1 within 10 s, one line,
// no stack, nothing half-written; the API keeps retrying Redis and answers /readyz 503 meanwhile.

const GOOD_KEY = 'operator-test-key-0123456789abcdef';
let box: Sandbox;
let deadRedis: string;

beforeAll(async () => {
  box = createSandbox('operator');
  deadRedis = `redis://:hunter2-password@127.0.0.1:${await freePort()}`;
});

afterAll(() => box?.cleanup());

function expectOneLine(stderr: string, variable: string): void {
  const lines = stderr.trim().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toContain(variable);
  expect(stderr).not.toMatch(/\n\s+at /);
}

describe('settings refused at start (exit 2, one line naming the variable)', () => {
  it.each([
    ['a'],
    ['CHANGE_ME'],
    [`${GOOD_KEY},tiny1`],
  ])('api with OKTA_SYNC_API_KEYS=%s', async (keys) => {
    const res = await runCli(['api', '--port', '0', '--host', '127.0.0.1'], box.env({ OKTA_SYNC_API_KEYS: keys }), { timeoutMs: 30_000 });
    expect(res.code).toBe(2);
    expectOneLine(res.stderr, 'OKTA_SYNC_API_KEYS');
    expect(res.stderr).not.toContain('tiny1');
    expect(res.stderr).not.toContain(GOOD_KEY);
  });

  it('REDIS_URL with a db index other than 0', async () => {
    const res = await runCli(['sync', 'acme'], box.env({ REDIS_URL: 'redis://127.0.0.1:6379/99' }), { timeoutMs: 30_000 });
    expect(res.code).toBe(2);
    expectOneLine(res.stderr, 'REDIS_URL');
  });

  it('a STORE_URL whose directory does not exist (and it is not created)', async () => {
    const missing = join(box.dir, 'no', 'such', 'dir');
    const res = await runCli(['tenant', 'list'], box.env({ STORE_URL: `sqlite:${join(missing, 'x.db')}` }), { timeoutMs: 30_000 });
    expect(res.code).toBe(2);
    expectOneLine(res.stderr, 'STORE_URL');
    expect(existsSync(join(box.dir, 'no'))).toBe(false);
  });

  it('tenant list with a malformed keyring', async () => {
    const res = await runCli(['tenant', 'list'], box.env({ OKTA_SYNC_ENCRYPTION_KEYS: 'k1:not-32-bytes' }), { timeoutMs: 30_000 });
    expect(res.code).toBe(2);
    expectOneLine(res.stderr, 'OKTA_SYNC_ENCRYPTION_KEYS');
  });
});

describe('Redis unreachable', () => {
  beforeAll(async () => {
    // Registering needs only the store.
    const add = await runCli(
      ['tenant', 'add', 'acme', '--domain', '127.0.0.1:9', '--client-id', '0oa1', '--client-secret-stdin'],
      box.env({ REDIS_URL: deadRedis }),
      { stdin: 'the-secret\n', timeoutMs: 30_000 },
    );
    expect(add.code, add.stderr).toBe(0);
  });

  it.each([[['sync', 'acme', '--resources', 'users']], [['sync', 'acme', '--wait']], [['tenant', 'remove', 'acme']], [['worker']]])(
    'okta-sync %j exits 1 within 10 s with one line naming REDIS_URL',
    async (args) => {
      const started = Date.now();
      const res = await runCli(args, box.env({ REDIS_URL: deadRedis }), { timeoutMs: 60_000 });
      const elapsed = Date.now() - started;
      expect(res.code, res.stderr).toBe(1);
      expectOneLine(res.stderr, 'REDIS_URL');
      expect(res.stderr).not.toContain('hunter2');
      expect(elapsed).toBeLessThan(10_000);
    },
  );

  it('leaves no run behind and the tenant in place', async () => {
    const runs = await runCli(['runs', 'list', '--json'], box.env({ REDIS_URL: deadRedis }), { timeoutMs: 30_000 });
    expect(runs.code).toBe(0);
    expect(JSON.parse(runs.stdout)).toEqual([]);
    const show = await runCli(['tenant', 'show', 'acme'], box.env({ REDIS_URL: deadRedis }), { timeoutMs: 30_000 });
    expect(show.code).toBe(0);
  });

  it('the API listens anyway, answers /readyz 503 while Redis is away, and stops on SIGTERM', async () => {
    const port = await freePort();
    const child = startCliProcess(['api', '--port', String(port), '--host', '127.0.0.1'], box.env({ REDIS_URL: deadRedis, OKTA_SYNC_API_KEYS: GOOD_KEY }));
    const url = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetch(`${url}/healthz`).catch(() => undefined))?.ok, 30_000, 'the api to listen');
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ error: { code: 'not_ready' } });
    expect(await stopProcess(child, 'SIGTERM', 20_000)).toBe(0);
    const output = child.output();
    // One warning line per insecure setting at start; no ioredis stack for every attempt.
    expect(output).toContain('OKTA_SYNC_ALLOW_INSECURE_LOOPBACK=true');
    expect(output).not.toContain('Unhandled error event');
    expect(output).not.toContain('hunter2');
  });
});

describe('Redis coming back', () => {
  const haveRedisServer = redisServerAvailable();
  if (!haveRedisServer) console.warn('skipping "Redis coming back": redis-server is not on PATH (apt-get install redis-server)');

  it.skipIf(!haveRedisServer)('the API that started without Redis turns ready once Redis answers', async () => {
    const redisPort = await freePort();
    const port = await freePort();
    const child = startCliProcess(
      ['api', '--port', String(port), '--host', '127.0.0.1'],
      box.env({ REDIS_URL: `redis://127.0.0.1:${redisPort}`, OKTA_SYNC_API_KEYS: GOOD_KEY }),
    );
    const url = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetch(`${url}/healthz`).catch(() => undefined))?.ok, 30_000, 'the api to listen');
    expect((await fetch(`${url}/readyz`)).status).toBe(503);
    const redis = await startPrivateRedis({ port: redisPort });
    try {
      await waitFor(async () => (await fetch(`${url}/readyz`)).status === 200, 30_000, '/readyz to turn 200');
      expect(await stopProcess(child, 'SIGTERM', 20_000)).toBe(0);
    } finally {
      await redis.stop();
    }
  });
});

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (typeof address !== 'object' || !address) throw new Error('no port');
  return address.port;
}
