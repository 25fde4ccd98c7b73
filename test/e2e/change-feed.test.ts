import { once } from 'node:events';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OktaSim, startOktaSim } from '../../src/okta-sim/index.js';
import { type ApiHandle, startApi } from '../../src/producer/api/start-api.js';
import { type ChangeEntry as ClientEntry, OktaSyncApiError, OktaSyncClient } from '../../src/producer/client/index.js';
import { readConfig } from '../../src/shared/config.js';
import { asTenantId } from '../../src/shared/ids.js';
import { createLogger } from '../../src/shared/logger.js';
import { type ChangeEntry, decodeFeedCursor } from '../../src/shared/store/change-feed.js';
import { SqliteStore } from '../../src/shared/store/sqlite-store.js';
import { OBJECT_TYPES } from '../../src/shared/store/sync-store.js';
import { createSandbox, type Sandbox } from '../helpers/fixtures.js';
import { runCli, startCliProcess, stopProcess, waitFor } from '../helpers/processes.js';
import { probe } from '../helpers/sync-scenario.js';
import { addTenant, mutate, storedObjects, syncAndWait, truthOf } from './sync-harness.js';

/**
 * Issue 16 acceptance (part A), with the simulator and two real worker processes: the feed holds
 * one upsert per stored object after a full sync, nothing after a sync that changes nothing, and
 * exactly the changed and hard-deleted users after mutations; a `changes --follow` consumer
 * SIGKILLed mid-read and restarted from its last line sees every entry exactly once; the API and
 * the typed client read the same feed, and a cursor past retention answers 410.
 */
let sim: OktaSim;
let box: Sandbox;
let metricsPort = 0;
const ALL = ['users', 'groups', 'memberships', 'apps', 'logs'];
const API_KEY = 'change-feed-test-key-0123456789abcdef';

beforeAll(async () => {
  box = createSandbox('change-feed');
  sim = await startOktaSim({ orgs: 1, users: 400, groups: 12, apps: 3, logs: 120, seed: 16, rateLimits: 'unlimited', latencyMs: 100 });
  metricsPort = await freePort();
  startCliProcess(['worker', '--concurrency', '6'], box.env({ METRICS_PORT: String(metricsPort) }));
  startCliProcess(['worker', '--concurrency', '6'], box.env());
  await addTenant(box, sim, 'acme', 0);
});

afterAll(async () => {
  await sim?.close();
  box?.cleanup();
});

/** The whole feed of a tenant after `after`, straight from the store the workers write. */
async function feed(after?: string): Promise<ChangeEntry[]> {
  const store = new SqliteStore(box.storePath);
  try {
    const out: ChangeEntry[] = [];
    for (;;) {
      const page = await store.readChanges({ tenantId: asTenantId('acme'), limit: 1000, ...(after === undefined ? {} : { after }) });
      out.push(...page.items);
      after = page.next;
      if (page.items.length < 1000) return out;
    }
  } finally {
    await store.close();
  }
}

async function allStored(): Promise<{ type: string; oktaId: string }[]> {
  const out = [];
  for (const type of OBJECT_TYPES) out.push(...(await storedObjects(box, 'acme', type, true)).map((o) => ({ type, oktaId: o.oktaId })));
  return out;
}

const key = (e: { type: string; oktaId: string }) => `${e.type}/${e.oktaId}`;

/**
 * A `changes --follow` process whose complete NDJSON lines are parsed as they arrive. With
 * `stallAfter`, its stdout is no longer read once that many entries arrived: the pipe fills and the
 * consumer blocks mid-feed, so a kill lands mid-read however fast the machine is.
 */
function consumer(args: string[], stallAfter?: number) {
  const child = startCliProcess(['changes', 'acme', '--follow', ...args], box.env());
  const entries: ChangeEntry[] = [];
  let partial = '';
  child.stdout?.on('data', (d: Buffer) => {
    const lines = (partial + d.toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) if (line) entries.push(JSON.parse(line) as ChangeEntry);
    if (stallAfter !== undefined && entries.length >= stallAfter) child.stdout?.pause();
  });
  return { child, entries };
}

describe('change feed end to end', () => {
  let afterFirst = '';
  let killedAfter: ChangeEntry[] = [];
  let resumed: ReturnType<typeof consumer> | undefined;

  it('a first full sync appends one upsert per stored object, read live by a consumer killed mid-read', async () => {
    const first = consumer([], 20);
    const sync = syncAndWait(box, 'acme', ALL);
    // Kill the consumer mid-read, once it has read something (it stalls there: see consumer()).
    await waitFor(async () => first.entries.length >= 20, 60_000, 'the consumer to read 20 entries');
    first.child.kill('SIGKILL');
    await once(first.child, 'exit');
    killedAfter = [...first.entries];
    await sync;

    const entries = await feed();
    const stored = await allStored();
    expect(killedAfter.length).toBeLessThan(entries.length);
    expect(entries.every((e) => e.op === 'upsert')).toBe(true);
    expect(entries.map(key).sort()).toEqual(stored.map(key).sort());
    expect(new Set(entries.map((e) => e.type))).toEqual(new Set(OBJECT_TYPES));
    const seqs = entries.map((e) => decodeFeedCursor(e.cursor));
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    afterFirst = entries.at(-1)!.cursor;

    // Restarted from its last complete line: the rest, nothing twice.
    resumed = consumer(['--after', killedAfter.at(-1)!.cursor]);
    await waitFor(async () => resumed!.entries.at(-1)?.cursor === afterFirst, 60_000, 'the restarted consumer to catch up');
  });

  it('a second full sync with no change in the org appends nothing', async () => {
    await syncAndWait(box, 'acme', ALL);
    expect(await feed(afterFirst)).toEqual([]);
  });

  it('after mutations, incremental + full syncs append one upsert per changed user and a delete per hard-deleted one', async () => {
    const truth = await truthOf(sim, 0);
    const active = truth.users.filter((u) => u.status === 'ACTIVE').map((u) => u.id);
    const [updated, deprovisioned, hardDeleted] = active.slice(5);
    const results = await mutate(sim, 0, [
      { op: 'updateUser', id: updated, profile: { title: 'Feed Reader' } },
      { op: 'deprovisionUser', id: deprovisioned },
      { op: 'addUser', profile: { firstName: 'Newt' } },
      { op: 'deleteUser', id: hardDeleted },
    ]);
    const added = results[2]!.id!;
    await syncAndWait(box, 'acme', ['users', 'groups', 'memberships'], 'incremental');
    await syncAndWait(box, 'acme', ALL);

    const changed = await feed(afterFirst);
    const users = changed.filter((e) => e.type === 'user');
    expect(users.map((e) => `${e.op} ${e.oktaId}`).sort()).toEqual(
      [`upsert ${updated}`, `upsert ${deprovisioned}`, `upsert ${added}`, `delete ${hardDeleted}`].sort(),
    );
    expect((users.find((e) => e.oktaId === updated)!.data as { profile: { title: string } }).profile.title).toBe('Feed Reader');
    expect(users.find((e) => e.op === 'delete')).not.toHaveProperty('data');
    // The hard-deleted user's memberships went with it.
    const memberships = changed.filter((e) => e.type === 'membership' && e.oktaId.endsWith(`:${hardDeleted}`));
    expect(memberships.length).toBeGreaterThan(0);
    expect(memberships.every((e) => e.op === 'delete')).toBe(true);
    // Reading after a cursor in the middle resumes exactly after it.
    const all = await feed();
    const middle = Math.floor(all.length / 2);
    expect(await feed(all[middle]!.cursor)).toEqual(all.slice(middle + 1));
  });

  it('the restarted consumer has seen every entry exactly once, and SIGTERM ends it with 0', async () => {
    const all = await feed();
    await waitFor(async () => resumed!.entries.at(-1)?.cursor === all.at(-1)!.cursor, 60_000, 'the consumer to reach the head');
    expect(await stopProcess(resumed!.child, 'SIGTERM')).toBe(0);
    expect([...killedAfter, ...resumed!.entries].map((e) => e.cursor)).toEqual(all.map((e) => e.cursor));
    expect([...killedAfter, ...resumed!.entries]).toEqual(all);
  });

  it('the worker counts the entries it appended', async () => {
    const metrics = await probe(metricsPort, '/metrics');
    const upserts = /okta_sync_feed_entries_total\{tenant="acme",op="upsert"\} (\d+)/.exec(metrics?.body ?? '');
    expect(Number(upserts?.[1])).toBeGreaterThan(0);
  });

  describe('through the API and the typed client', () => {
    let api: ApiHandle;
    let client: OktaSyncClient;
    beforeAll(async () => {
      const config = readConfig(box.env({ OKTA_SYNC_API_KEYS: API_KEY }));
      api = await startApi(config, { port: 0, host: '127.0.0.1', logger: createLogger({ level: 'silent' }) });
      client = new OktaSyncClient({ baseUrl: api.url, apiKey: API_KEY });
    });
    afterAll(async () => {
      await api?.close();
    });

    it('client.changes reads the same feed, filtered by type, and the OpenAPI document has the route', async () => {
      const all = await feed();
      const read: ClientEntry[] = [];
      for await (const entry of client.changes('acme', { limit: 250 })) read.push(entry);
      expect(read).toEqual(all);
      const groups: ClientEntry[] = [];
      for await (const entry of client.changes('acme', { types: ['group', 'app'] })) groups.push(entry);
      expect(groups).toEqual(all.filter((e) => e.type === 'group' || e.type === 'app'));
      const caughtUp = await client.listChanges('acme', { after: all.at(-1)!.cursor });
      expect(caughtUp).toEqual({ items: [], next: all.at(-1)!.cursor });

      const doc = (await (await fetch(`${api.url}/openapi.json`, { headers: { authorization: `Bearer ${API_KEY}` } })).json()) as {
        paths: Record<string, { get?: { responses: Record<string, unknown> } }>;
      };
      expect(Object.keys(doc.paths['/v1/tenants/{tenantId}/changes']?.get?.responses ?? {})).toEqual(expect.arrayContaining(['200', '400', '410']));
    });

    it('bad input is 400 naming the field, an unknown tenant 404', async () => {
      for (const [query, field] of [
        ['after=bogus!', 'after'],
        ['types=user,widget', 'types.1'],
        ['limit=0', 'limit'],
      ] as const) {
        const res = await fetch(`${api.url}/v1/tenants/acme/changes?${query}`, { headers: { authorization: `Bearer ${API_KEY}` } });
        expect(res.status, query).toBe(400);
        expect(((await res.json()) as { error: { fields: Record<string, string> } }).error.fields, query).toHaveProperty(field);
      }
      await expect(client.listChanges('nobody')).rejects.toMatchObject({ status: 404, code: 'not_found' });
    });

    it('a cursor older than retention answers 410 cursor_expired with the cursor to restart from', async () => {
      const all = await feed();
      const store = new SqliteStore(box.storePath);
      try {
        expect(await store.purgeChangesBefore(new Date(Date.now() + 60_000).toISOString())).toBe(all.length);
      } finally {
        await store.close();
      }
      const error = await client.listChanges('acme', { after: all[0]!.cursor }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OktaSyncApiError);
      expect(error).toMatchObject({ status: 410, code: 'cursor_expired', restartCursor: all.at(-1)!.cursor });
      expect(await client.listChanges('acme', { after: (error as OktaSyncApiError).restartCursor! })).toEqual({ items: [], next: all.at(-1)!.cursor });

      // The CLI says the same: exit 1 with the cursor to restart from; bad input is usage (2).
      const expired = await runCli(['changes', 'acme', '--after', all[0]!.cursor], box.env());
      expect(expired.code).toBe(1);
      expect(expired.stderr).toContain('cursor_expired');
      expect(expired.stderr).toContain(`restartCursor ${all.at(-1)!.cursor}`);
      const restarted = await runCli(['changes', 'acme', '--after', all.at(-1)!.cursor], box.env());
      expect(restarted).toMatchObject({ code: 0, stdout: '' });
      expect((await runCli(['changes', 'acme', '--types', 'user,widget'], box.env())).code).toBe(2);
      expect((await runCli(['changes', 'acme', '--after', 'not-a-cursor!'], box.env())).code).toBe(2);
    });
  });
});

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
