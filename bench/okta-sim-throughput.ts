import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import type { Bench, BenchRow } from './bench-types.js';

/**
 * Throughput of one simulator process serving 200-user pages of `/api/v1/users` to a concurrent
 * undici client, against a naive stand-in (fresh objects and JSON.stringify per request) measured
 * the same way in the same run. When this file runs compiled, each server runs in its own child
 * process, so server and client each get a core of the 2-core machine; under a TypeScript loader
 * (tests) both run in this process.
 */
export interface SimThroughput {
  requestsPerSecond: number;
  baselineRequestsPerSecond: number;
  ratio: number;
}

const USERS = 10_000;
const PAGE = 200;
const CONNECTIONS = 32;
const WARMUP_MS = 1_000;

interface Target {
  origin: string;
  authorization: string;
  paths: string[];
  stop(): Promise<void>;
}

// ---- the naive stand-in -------------------------------------------------------------------

/** What a first attempt looks like: copy the page's objects and stringify them on every request. */
function startNaiveServer(port = 0): Promise<Server> {
  const iso = (ms: number): string => new Date(ms).toISOString();
  const users = Array.from({ length: USERS }, (_, n) => ({
    id: `00u${String(n).padStart(17, '0')}`, status: 'ACTIVE', created: iso(Date.UTC(2024, 0, 1) + n * 1000),
    activated: iso(Date.UTC(2024, 0, 1) + n * 1000), statusChanged: null, lastLogin: null,
    lastUpdated: iso(Date.UTC(2024, 6, 1) + n * 1000), passwordChanged: null, type: { id: 'oty1default0000000000' },
    profile: { firstName: 'User', lastName: String(n), mobilePhone: null, secondEmail: null, login: `user.${n}@example.com`, email: `user.${n}@example.com` },
    credentials: { password: {}, provider: { type: 'OKTA', name: 'OKTA' } },
  }));
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const start = Number(url.searchParams.get('after') ?? 0);
    const origin = `http://${req.headers.host}`;
    const page = users.slice(start, start + PAGE).map((u) => ({ ...u, _links: { self: { href: `${origin}/api/v1/users/${u.id}` } } }));
    const links = [`<${origin}/api/v1/users>; rel="self"`];
    if (start + PAGE < users.length) links.push(`<${origin}/api/v1/users?after=${start + PAGE}>; rel="next"`);
    res.writeHead(200, { 'content-type': 'application/json', link: links, 'x-rate-limit-limit': '600', 'x-rate-limit-remaining': '599', 'x-rate-limit-reset': String(Math.ceil(Date.now() / 1000) + 60) });
    res.end(JSON.stringify(page));
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

// ---- targets --------------------------------------------------------------------------------

const compiled = import.meta.url.endsWith('.js');
const SIM_FLAGS = ['--users', String(USERS), '--groups', '1', '--apps', '1', '--logs', '1', '--rate-limits', 'unlimited', '--concurrency-limit', '10000'];

function readJsonLine(child: ChildProcess): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const newline = buffered.indexOf('\n');
      if (newline >= 0) resolve(JSON.parse(buffered.slice(0, newline)));
    });
    child.once('exit', (code) => reject(new Error(`server process exited with ${code} before it was ready`)));
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

async function simToken(baseUrl: string, clientId: string, secret: string): Promise<string> {
  const res = await fetch(`${baseUrl}/oauth2/v1/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials&scope=okta.users.read',
  });
  if (!res.ok) throw new Error(`token request failed: ${res.status}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

/** Walks the user list once, so the measured loop only fetches pages. */
async function pagePaths(origin: string, authorization: string): Promise<string[]> {
  const paths: string[] = [];
  let next: string | undefined = `${origin}/api/v1/users?limit=${PAGE}`;
  while (next !== undefined) {
    const res: Response = await fetch(next, { headers: { authorization } });
    await res.arrayBuffer();
    paths.push(next.slice(origin.length));
    const match = /<([^>]+)>; rel="next"/.exec(res.headers.get('link') ?? '');
    next = match?.[1];
  }
  return paths;
}

async function simTarget(): Promise<Target> {
  let baseUrl: string;
  let clientId: string;
  let secret: string;
  let stop: () => Promise<void>;
  if (compiled) {
    const cli = fileURLToPath(new URL('../src/okta-sim/cli.js', import.meta.url));
    const child = spawn(process.execPath, [cli, ...SIM_FLAGS], { stdio: ['ignore', 'pipe', 'inherit'] });
    const { orgs } = (await readJsonLine(child)) as { orgs: { baseUrl: string; clientId: string; clientSecret: string }[] };
    ({ baseUrl, clientId, clientSecret: secret } = orgs[0]!);
    stop = () => stopChild(child);
  } else {
    const { startOktaSim } = await import('../src/okta-sim/index.js');
    const sim = await startOktaSim({ users: USERS, groups: 1, apps: 1, logs: 1, rateLimits: 'unlimited', concurrencyLimit: 10_000 });
    ({ baseUrl, clientId, clientSecret: secret } = sim.orgs[0]!);
    stop = () => sim.close();
  }
  const authorization = `Bearer ${await simToken(baseUrl, clientId, secret)}`;
  return { origin: baseUrl, authorization, paths: await pagePaths(baseUrl, authorization), stop };
}

async function naiveTarget(): Promise<Target> {
  let origin: string;
  let stop: () => Promise<void>;
  if (compiled) {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--serve-naive'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const { port } = (await readJsonLine(child)) as { port: number };
    origin = `http://127.0.0.1:${port}`;
    stop = () => stopChild(child);
  } else {
    const server = await startNaiveServer();
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    stop = () => new Promise((resolve) => server.close(() => resolve()));
  }
  const authorization = 'Bearer naive';
  return { origin, authorization, paths: await pagePaths(origin, authorization), stop };
}

// ---- the load ---------------------------------------------------------------------------------

/** CONNECTIONS concurrent loops over the page URLs; returns completed 200s per second after warm-up. */
async function measure(target: Target, seconds: number): Promise<number> {
  const pool = new Pool(target.origin, { connections: CONNECTIONS, pipelining: 1 });
  const headers = { authorization: target.authorization, accept: 'application/json' };
  let counting = false;
  let ok = 0;
  let failed = 0;
  const deadline = Date.now() + WARMUP_MS + seconds * 1000;
  const loop = async (offset: number): Promise<void> => {
    for (let i = offset; Date.now() < deadline; i++) {
      const { statusCode, body } = await pool.request({ path: target.paths[i % target.paths.length]!, method: 'GET', headers });
      // Read every byte, as a real client must, without paying for a copy into one buffer.
      for await (const _chunk of body);
      if (!counting) continue;
      if (statusCode === 200) ok++;
      else failed++;
    }
  };
  const loops = Array.from({ length: CONNECTIONS }, (_, i) => loop(i));
  await new Promise((resolve) => setTimeout(resolve, WARMUP_MS));
  counting = true;
  const started = performance.now();
  await Promise.all(loops);
  const elapsed = (performance.now() - started) / 1000;
  await pool.close();
  if (failed > 0) throw new Error(`${failed} requests did not answer 200`);
  return ok / elapsed;
}

async function measureTarget(make: () => Promise<Target>, seconds: number): Promise<number> {
  const target = await make();
  try {
    return await measure(target, seconds);
  } finally {
    await target.stop();
  }
}

/**
 * Alternates the two servers over `rounds` rounds of `seconds` each and keeps each one's best
 * round, so a burst of other work on a shared machine does not decide the ratio.
 */
export async function benchSimThroughput(opts: { seconds?: number; rounds?: number } = {}): Promise<SimThroughput> {
  const seconds = opts.seconds ?? 5;
  let requestsPerSecond = 0;
  let baselineRequestsPerSecond = 0;
  for (let round = 0; round < (opts.rounds ?? 2); round++) {
    baselineRequestsPerSecond = Math.max(baselineRequestsPerSecond, await measureTarget(naiveTarget, seconds));
    requestsPerSecond = Math.max(requestsPerSecond, await measureTarget(simTarget, seconds));
  }
  return { requestsPerSecond, baselineRequestsPerSecond, ratio: requestsPerSecond / baselineRequestsPerSecond };
}

/** The entry for `bench/benches.ts`. */
export const simThroughputBench: Bench = {
  name: 'okta-sim throughput',
  async run(ctx): Promise<BenchRow[]> {
    const result = await benchSimThroughput({ seconds: ctx.scale === 'quick' ? 2 : 5 });
    return [{
      bench: 'okta-sim throughput',
      metric: `GET /api/v1/users pages of ${PAGE}, ${CONNECTIONS} connections`,
      ours: result.requestsPerSecond,
      baseline: result.baselineRequestsPerSecond,
      unit: 'req/s',
      better: 'higher',
      target: '>= 2,500 req/s',
    }];
  },
};

function printTable(result: SimThroughput): void {
  const rows = [
    ['server', 'requests/s'],
    ['okta-sim', result.requestsPerSecond.toFixed(0)],
    ['naive stand-in', result.baselineRequestsPerSecond.toFixed(0)],
    ['ratio', `${result.ratio.toFixed(2)}x`],
  ];
  for (const [a, b] of rows) process.stdout.write(`${a!.padEnd(16)} ${b!.padStart(10)}\n`);
  process.stdout.write(`(target >= 2,500 req/s; ${compiled ? 'servers in child processes' : 'servers in this process'})\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.argv.includes('--serve-naive')) {
    const server = await startNaiveServer();
    process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
    process.once('SIGTERM', () => {
      server.close();
      server.closeAllConnections();
    });
  } else {
    const at = process.argv.indexOf('--seconds');
    printTable(await benchSimThroughput(at > 0 ? { seconds: Number(process.argv[at + 1]) } : {}));
  }
}
