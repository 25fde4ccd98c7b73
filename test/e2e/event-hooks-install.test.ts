import type { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/cli/private-redis.js';
import { type OktaSim, startOktaSim } from '../../src/okta-sim/index.js';
import type { EventsJob } from '../../src/shared/jobs.js';
import { openSyncQueue } from '../../src/shared/queue.js';
import { createRedis, type Redis } from '../../src/shared/redis.js';
import { createSandbox, type Sandbox } from '../helpers/fixtures.js';
import { runCli, startCliProcess, stopProcess, waitFor } from '../helpers/processes.js';
import { addTenant } from './sync-harness.js';

/**
 * `okta-sync tenant hooks install` against the simulator with a real `okta-sync api` process: the
 * org refusing okta.eventHooks.manage gives one clear line and exit 1; granted, the hook is created
 * and verified through the API's receiver, and a simulator mutation's delivery reaches the API and
 * queues an `events` job in Redis within 5 s. A re-install replaces the hook and its secret.
 */
const API_KEY = 'hooks-e2e-key-0123456789abcdef0123';
let sim: OktaSim;
let box: Sandbox;
let api: ReturnType<typeof startCliProcess>;
let apiUrl: string;
let redis: Redis;
let queue: Queue;
const cliOutput: string[] = [];

beforeAll(async () => {
  box = createSandbox('e2e-hooks-install');
  sim = await startOktaSim({ orgs: 1, users: 10, groups: 2, apps: 1, logs: 1, seed: 23, rateLimits: 'unlimited' });
  const port = await freePort();
  apiUrl = `http://127.0.0.1:${port}`;
  api = startCliProcess(['api', '--port', String(port)], box.env({ OKTA_SYNC_API_KEYS: API_KEY, LOG_LEVEL: 'info' }));
  await addTenant(box, sim, 'acme', 0);
  redis = createRedis(box.redisUrl);
  queue = openSyncQueue(redis, box.queuePrefix);
  await waitFor(async () => (await fetch(`${apiUrl}/healthz`).catch(() => undefined))?.ok, 30_000, 'api up');
});

afterAll(async () => {
  await queue?.close();
  await redis?.quit();
  if (api) await stopProcess(api);
  await sim?.close();
  box?.cleanup();
});

const install = async (publicUrl = apiUrl) => {
  const res = await runCli(['tenant', 'hooks', 'install', 'acme', '--public-url', publicUrl], box.env());
  cliOutput.push(res.stdout, res.stderr);
  return res;
};
const queuedEvents = async (): Promise<EventsJob[]> => (await queue.getJobs(['waiting', 'delayed', 'prioritized'])).filter((j) => j.name === 'events').map((j) => j.data as EventsJob);

describe('tenant hooks install', () => {
  it('says in one line that the watch alone keeps the data fresh when the org refuses okta.eventHooks.manage', async () => {
    const res = await install();
    expect(res.code).toBe(1);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toContain('okta.eventHooks.manage');
    expect(res.stderr).toContain('watch alone keeps the data fresh');
    expect(sim.org(0).eventHooks.registry.list()).toEqual([]);
  });

  it('refuses a public URL that is not https (exit 2)', async () => {
    const res = await install('http://sync.example.com');
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('--public-url must be https://');
  });

  it('installs and verifies the hook; a mutation in the org is queued as an events job within 5 s', async () => {
    const org = sim.orgs[0]!;
    sim.org(0).configureClient(org.clientId, { grantedScopes: [...org.grantedScopes, 'okta.eventHooks.manage'] });
    const res = await install();
    expect(res.code, res.stderr).toBe(0);
    const report = JSON.parse(res.stdout) as { oktaHookId: string; uri: string; status: string; events: string[] };
    expect(report).toMatchObject({ uri: `${apiUrl}/v1/hooks/okta/acme`, status: 'installed' });
    expect(report.events).not.toContain('user.lifecycle.delete.completed');
    const [hook] = sim.org(0).eventHooks.registry.list();
    expect(hook).toMatchObject({ id: report.oktaHookId, status: 'ACTIVE', verificationStatus: 'VERIFIED', uri: report.uri });
    const shown = await runCli(['tenant', 'show', 'acme'], box.env());
    cliOutput.push(shown.stdout, shown.stderr);
    expect(JSON.parse(shown.stdout).eventHook).toMatchObject({ status: 'installed', oktaHookId: report.oktaHookId, uri: report.uri });
    const got = await fetch(`${apiUrl}/v1/tenants/acme`, { headers: { authorization: `Bearer ${API_KEY}` } });
    const gotText = await got.text();
    cliOutput.push(gotText);
    expect(JSON.parse(gotText).eventHook).toMatchObject({ status: 'installed', oktaHookId: report.oktaHookId });

    sim.org(0).setFaults({ hookDuplicate: 1, hookReorder: 0 });
    const user = sim.org(0).truth().users.find((u) => u.status === 'ACTIVE')!;
    const t0 = Date.now();
    sim.org(0).mutate({ op: 'updateUser', id: user.id, profile: { nickName: 'hooked' } });
    const uuid = sim.org(0).truth().logEvents.at(-1)!.uuid;
    const job = await waitFor(async () => (await queuedEvents()).find((j) => j.events.some((e) => e.uuid === uuid)), 5_000, 'the events job');
    process.stderr.write(`[hooks] mutation to queued events job: ${Date.now() - t0} ms\n`);
    expect(job).toMatchObject({ tenantId: 'acme', source: 'hook', events: [{ uuid, eventType: 'user.account.update_profile', target: [{ id: user.id, type: 'User' }] }] });
    // The duplicate delivery arrives too, and queues nothing more.
    await waitFor(async () => sim.org(0).eventHooks.deliverer.records.filter((r) => r.kind === 'delivery' && r.duplicate && r.status === 200).length > 0, 5_000, 'the duplicate');
    expect((await queuedEvents()).flatMap((j) => j.events).filter((e) => e.uuid === uuid)).toHaveLength(1);
  });

  it('re-install replaces the hook and its secret; the old secret is refused; no secret in any output', async () => {
    const [old] = sim.org(0).eventHooks.registry.list();
    const res = await install();
    expect(res.code, res.stderr).toBe(0);
    const report = JSON.parse(res.stdout) as { oktaHookId: string; replaced: string[] };
    expect(report.replaced).toEqual([old!.id]);
    const hooks = sim.org(0).eventHooks.registry.list();
    expect(hooks.map((h) => h.id)).toEqual([report.oktaHookId]);
    const fresh = hooks[0]!;
    expect(fresh.auth?.value).not.toBe(old!.auth?.value);
    const body = JSON.stringify({ eventType: 'com.okta.event_hook', data: { events: [] } });
    const post = (secret: string) => fetch(`${apiUrl}/v1/hooks/okta/acme`, { method: 'POST', headers: { authorization: secret, 'content-type': 'application/json' }, body });
    expect((await post(old!.auth!.value)).status).toBe(401);
    expect((await post(fresh.auth!.value)).status).toBe(200);
    const everything = [...cliOutput, api.output()].join('\n');
    for (const secret of [old!.auth!.value, fresh.auth!.value]) expect(everything).not.toContain(secret);
    expect(everything).toContain('event hook verification answered');
  });

  it('hooks remove deletes the hook from the org and forgets the secret; tenant remove takes the hook with it', async () => {
    const [current] = sim.org(0).eventHooks.registry.list();
    const removed = await runCli(['tenant', 'hooks', 'remove', 'acme'], box.env());
    expect(removed.code, removed.stderr).toBe(0);
    expect(JSON.parse(removed.stdout)).toEqual({ tenantId: 'acme', oktaHookId: current!.id, status: 'removed' });
    expect(sim.org(0).eventHooks.registry.list()).toEqual([]);
    const body = JSON.stringify({ eventType: 'com.okta.event_hook', data: { events: [] } });
    const post = (secret: string) => fetch(`${apiUrl}/v1/hooks/okta/acme`, { method: 'POST', headers: { authorization: secret, 'content-type': 'application/json' }, body });
    expect((await post(current!.auth!.value)).status).toBe(401);
    const again = await runCli(['tenant', 'hooks', 'remove', 'acme'], box.env());
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('event hook of tenant acme');

    expect((await install()).code).toBe(0);
    expect(sim.org(0).eventHooks.registry.list()).toHaveLength(1);
    const gone = await fetch(`${apiUrl}/v1/tenants/acme`, { method: 'DELETE', headers: { authorization: `Bearer ${API_KEY}` } });
    expect(gone.status).toBe(204);
    expect(sim.org(0).eventHooks.registry.list()).toEqual([]);
  });
});
