import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runOktaSimCli } from '../../../src/okta-sim/cli.js';
import type { SimOrgInfo } from '../../../src/okta-sim/index.js';
import { apiGet, header, http, secretToken } from './sim-http.js';

const sink = (): { text: string; write(chunk: string): boolean } => ({
  text: '',
  write(chunk: string) {
    this.text += chunk;
    return true;
  },
});

/** Polls read() until it gives a value; 30 s, as key generation for several orgs is slow on a loaded machine. */
async function waitFor<T>(read: () => T | undefined, stderr: { text: string }): Promise<T> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const value = read();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out; stderr: ${stderr.text}`);
}

function listen(port: number): Promise<ReturnType<typeof createServer> | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

const close = (server: ReturnType<typeof createServer>) => new Promise<void>((resolve) => server.close(() => resolve()));

/** A free port whose successor is free too (`--orgs 2` serves on port and port + 1). */
async function freePortPair(): Promise<number> {
  for (;;) {
    const first = (await listen(0))!;
    const address = first.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const second = port > 0 && port < 65_535 ? await listen(port + 1) : undefined;
    await close(first);
    if (second) {
      await close(second);
      return port;
    }
  }
}

/** Runs the CLI until the returned stop() is called; resolves with the JSON line's orgs. */
async function start(argv: string[]): Promise<{ orgs: SimOrgInfo[]; stdout: string; stop(): Promise<void> }> {
  const stdout = sink();
  const stderr = sink();
  const controller = new AbortController();
  const running = runOktaSimCli(argv, { stdout, stderr, signal: controller.signal });
  const line = await waitFor(() => (stdout.text.endsWith('\n') ? stdout.text : undefined), stderr);
  return {
    orgs: (JSON.parse(line) as { orgs: SimOrgInfo[] }).orgs,
    stdout: stdout.text,
    async stop() {
      controller.abort();
      await running;
    },
  };
}

afterEach(() => {
  process.exitCode = undefined;
});

describe('okta-sim CLI', () => {
  it('prints one JSON line with every org and serves until stopped', async () => {
    const port = await freePortPair();
    const cli = await start(['--orgs', '2', '--users', '15', '--port', String(port), '--seed', '3']);
    expect(cli.stdout.trim().split('\n')).toHaveLength(1);
    expect(cli.orgs.map((o) => o.port)).toEqual([port, port + 1]);
    const org = cli.orgs[0]!;
    expect(org).toMatchObject({ name: 'org-1', domain: `127.0.0.1:${port}`, baseUrl: `http://127.0.0.1:${port}` });
    expect(org.privateKeyPem).toContain('BEGIN PRIVATE KEY');
    const users = await apiGet(org, '/api/v1/users', await secretToken(org));
    expect(users.status).toBe(200);
    await cli.stop();
    await expect(http(`${org.baseUrl}/__sim/stats`)).rejects.toThrow();
  });

  it('reads rate limits from a JSON file and applies token and window flags', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'okta-sim-cli-'));
    try {
      const file = join(dir, 'limits.json');
      await writeFile(file, JSON.stringify({ users: 7, token: 9 }));
      const cli = await start(['--users', '3', '--rate-limits', file, '--rate-window', '5', '--token-ttl', '120', '--faults', 'latency=1']);
      try {
        const org = cli.orgs[0]!;
        const token = await secretToken(org);
        const answer = await apiGet(org, '/api/v1/users', token);
        expect(header(answer, 'x-rate-limit-limit')).toBe('7');
        const reset = Number(header(answer, 'x-rate-limit-reset'));
        expect(reset - Date.now() / 1000).toBeLessThanOrEqual(6);
        expect(header(await apiGet(org, '/api/v1/groups', token), 'x-rate-limit-limit')).toBe('600');
      } finally {
        await cli.stop();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.each([
    [['--bogus']],
    [['--users', 'many']],
    [['--faults', 'error5xx=7']],
    [['--rate-limits', 'platinum']],
    [['--rate-window', '0']],
    [['extra-argument']],
  ])('refuses %j with one line on stderr and exit code 2', async (argv) => {
    const stdout = sink();
    const stderr = sink();
    await runOktaSimCli(argv, { stdout, stderr });
    expect(process.exitCode).toBe(2);
    expect(stdout.text).toBe('');
    expect(stderr.text).toMatch(/^okta-sim: .+\n$/);
    expect(stderr.text.trim().split('\n')).toHaveLength(1);
  });
});
