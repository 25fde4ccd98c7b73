import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { constants } from 'node:fs';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { MongoClient } from 'mongodb';

/** A MongoDB server for tests: its base URL (no database in the path) and how to stop it. */
export interface TestMongo {
  url: string;
  stop(): Promise<void>;
}

/** How long the Docker probe may take before we conclude there is no engine. */
const DOCKER_PROBE_TIMEOUT_MS = 3_000;
/** How long a private mongod may take to accept connections. */
const MONGOD_START_TIMEOUT_MS = 30_000;

/**
 * Finds a MongoDB to test against, in this order: `MONGO_URL`; a `mongo:7` container when a
 * Docker engine answers; a private `mongod` from PATH on a free port with a temporary dbpath.
 * Returns `{ skip }` with the reason when there is none, so the caller can skip visibly.
 */
export async function resolveMongo(env: NodeJS.ProcessEnv = process.env): Promise<TestMongo | { skip: string }> {
  const fromEnv = env.MONGO_URL;
  if (fromEnv) return { url: fromEnv, stop: async () => {} };
  if (await dockerEngineAnswers()) return startContainer();
  const mongod = await findOnPath('mongod', env.PATH ?? '');
  if (mongod) return startMongod(mongod);
  return { skip: 'no MONGO_URL, no Docker engine and no mongod on PATH' };
}

/** `url` with its path replaced by `/<database>`, keeping hosts, credentials and options. */
export function mongoUrlWithDatabase(url: string, database: string): string {
  const match = /^(mongodb(?:\+srv)?:\/\/[^/?#]*)(?:\/[^?#]*)?(.*)$/.exec(url);
  if (!match) throw new Error('not a mongodb:// URL');
  return `${match[1]}/${encodeURIComponent(database)}${match[2] ?? ''}`;
}

async function dockerEngineAnswers(): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('docker probe timed out')), DOCKER_PROBE_TIMEOUT_MS);
    });
    await Promise.race([getContainerRuntimeClient(), timeout]);
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

async function startContainer(): Promise<TestMongo> {
  const { MongoDBContainer } = await import('@testcontainers/mongodb');
  const container = await new MongoDBContainer('mongo:7').start();
  // The container runs a one-member replica set that advertises its internal host name.
  return {
    url: `${container.getConnectionString()}/?directConnection=true`,
    stop: async () => {
      await container.stop();
    },
  };
}

async function startMongod(binary: string): Promise<TestMongo> {
  const dbpath = await mkdtemp(join(tmpdir(), 'okta-sync-mongod-'));
  const port = await freePort();
  const child = spawn(binary, ['--port', String(port), '--bind_ip', '127.0.0.1', '--dbpath', dbpath, '--quiet'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const url = `mongodb://127.0.0.1:${port}/`;
  const stop = async () => {
    await stopChild(child);
    await rm(dbpath, { recursive: true, force: true });
  };
  try {
    await waitForMongo(url, child);
  } catch (error) {
    await stop();
    throw new Error(`mongod did not start: ${stderr.slice(-2_000)}`, { cause: error });
  }
  return { url, stop };
}

async function waitForMongo(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + MONGOD_START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`mongod exited with code ${child.exitCode}`);
    const client = new MongoClient(url, { serverSelectionTimeoutMS: 500 });
    try {
      await client.connect();
      await client.db('admin').command({ ping: 1 });
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    } finally {
      await client.close();
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no TCP port');
  return address.port;
}

async function findOnPath(name: string, path: string): Promise<string | undefined> {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    const candidate = join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}
