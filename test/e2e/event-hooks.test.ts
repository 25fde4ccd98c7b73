import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/cli/private-redis.js';
import { type OktaSim, startOktaSim } from '../../src/okta-sim/index.js';
import { asTenantId } from '../../src/shared/ids.js';
import type { ChangeEntry } from '../../src/shared/store/change-feed.js';
import { SqliteStore } from '../../src/shared/store/sqlite-store.js';
import { createSandbox, type Sandbox } from '../helpers/fixtures.js';
import { runCli, startCliProcess, stopProcess, waitFor } from '../helpers/processes.js';
import { addTenant, alive, ids, mutate, storedObjects, syncAndWait, truthOf } from './sync-harness.js';

/**
 * Issue 17 acceptance (Event Hooks), with a real `okta-sync api`, a real worker process, Redis and
 * the simulator's hook deliveries (every one sent twice and every batch reversed): with no watch and
 * no schedule, mutations in the org reach the store within 5 s through the hook alone; duplicates
 * and disorder change nothing extra; a forged delivery is refused with 401 and changes nothing.
 */
const API_KEY = 'hooks-acceptance-key-0123456789abcdef';
let sim: OktaSim;
let box: Sandbox;
let apiUrl: string;
const processes: ReturnType<typeof startCliProcess>[] = [];

beforeAll(async () => {
  box = createSandbox('e2e-event-hooks');
  sim = await startOktaSim({ orgs: 1, users: 60, groups: 4, apps: 1, logs: 5, seed: 29 });
  const port = await freePort();
  apiUrl = `http://127.0.0.1:${port}`;
  processes.push(startCliProcess(['api', '--port', String(port)], box.env({ OKTA_SYNC_API_KEYS: API_KEY })));
  processes.push(startCliProcess(['worker', '--concurrency', '4'], box.env()));
  await addTenant(box, sim, 'acme', 0);
  const org = sim.orgs[0]!;
  sim.org(0).configureClient(org.clientId, { grantedScopes: [...org.grantedScopes, 'okta.eventHooks.manage'] });
  await waitFor(async () => (await fetch(`${apiUrl}/healthz`).catch(() => undefined))?.ok, 30_000, 'api up');
});

afterAll(async () => {
  await Promise.all(processes.map((p) => stopProcess(p)));
  await sim?.close();
  box?.cleanup();
});

async function feed(after?: string): Promise<ChangeEntry[]> {
  const store = new SqliteStore(box.storePath);
  try {
    const page = await store.readChanges({ tenantId: asTenantId('acme'), limit: 10_000, ...(after === undefined ? {} : { after }) });
    return page.items;
  } finally {
    await store.close();
  }
}

describe('Okta Event Hooks end to end', () => {
  let afterMutations: string;

  it('mutations reach the store within 5 s through the hook alone; duplicates and disorder change nothing extra', async () => {
    await syncAndWait(box, 'acme', ['users', 'groups', 'memberships', 'apps']);
    const afterSync = (await feed()).at(-1)!.cursor;
    const installed = await runCli(['tenant', 'hooks', 'install', 'acme', '--public-url', apiUrl], box.env());
    expect(installed.code, installed.stderr).toBe(0);
    sim.org(0).setFaults({ hookDuplicate: 1, hookReorder: 1 });

    const truth0 = await truthOf(sim, 0);
    const active = truth0.users.filter((u) => u.status === 'ACTIVE').map((u) => u.id);
    const [updated, deprovisioned] = [active.slice(0, 4), active.slice(4, 6)];
    const removed = truth0.memberships.filter((m) => !active.slice(0, 6).some((u) => m.endsWith(`:${u}`))).slice(0, 2);
    const groupIds = truth0.groups.filter((g) => g.type === 'OKTA_GROUP').map((g) => g.id);
    const added = active.slice(10).map((u) => `${groupIds[1]}:${u}`).filter((m) => !truth0.memberships.includes(m)).slice(0, 2);
    const appId = truth0.apps[0]!.id;
    const assigned = active.slice(20).map((u) => `${appId}:${u}`).find((a) => !truth0.appUsers.includes(a))!;
    const t0 = Date.now();
    const results = await mutate(sim, 0, [
      ...updated.map((id) => ({ op: 'updateUser', id, profile: { title: 'Hooked' } })),
      ...deprovisioned.map((id) => ({ op: 'deprovisionUser', id })),
      { op: 'addUser', profile: { firstName: 'Hooky' } },
      ...added.map((m) => ({ op: 'addMember', groupId: m.split(':')[0], userId: m.split(':')[1] })),
      ...removed.map((m) => ({ op: 'removeMember', groupId: m.split(':')[0], userId: m.split(':')[1] })),
      { op: 'assignApp', appId, userId: assigned.split(':')[1] },
    ]);
    expect(results.every((r) => r.ok)).toBe(true);
    const createdId = results[6]!.id!;
    const truth = await truthOf(sim, 0);

    const matches = async () => {
      const users = alive(await storedObjects(box, 'acme', 'user'));
      const memberships = alive(await storedObjects(box, 'acme', 'membership'));
      if (JSON.stringify(ids(memberships)) !== JSON.stringify([...truth.memberships].sort())) return false;
      if (JSON.stringify(ids(alive(await storedObjects(box, 'acme', 'app_user')))) !== JSON.stringify([...truth.appUsers].sort())) return false;
      const byId = new Map(users.map((u) => [u.oktaId, u.data as { status: string; profile: { title?: string } }]));
      if (!byId.has(createdId)) return false;
      if (!updated.every((id) => byId.get(id)?.profile.title === 'Hooked')) return false;
      return deprovisioned.every((id) => byId.get(id)?.status === 'DEPROVISIONED');
    };
    await waitFor(matches, 5_000, 'the mutations in the store within 5 s');
    process.stderr.write(`[hooks] ${results.length} mutations visible after ${Date.now() - t0} ms\n`);

    // Every delivery was sent twice; let the duplicates and held-back batches land and be worked.
    const deliveries = () => sim.org(0).eventHooks.deliverer.records.filter((r) => r.kind === 'delivery');
    await waitFor(async () => deliveries().filter((r) => r.duplicate).length >= 1 && deliveries().every((r) => r.status === 200), 5_000, 'duplicates delivered');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(deliveries().filter((r) => r.duplicate).length).toBe(deliveries().filter((r) => !r.duplicate).length);

    const touched = [
      ...[...updated, ...deprovisioned, createdId].map((id) => `user/${id}`),
      ...[...added, ...removed].map((m) => `membership/${m}`),
      `app_user/${assigned}`,
    ].sort();
    const changes = (await feed(afterSync)).filter((e) => e.type !== 'log_event');
    // Each changed object once: the second delivery and the reversed order refreshed nothing twice.
    expect(changes.map((e) => `${e.type}/${e.oktaId}`).sort()).toEqual(touched);
    expect(ids(alive(await storedObjects(box, 'acme', 'group')))).toEqual(truth.groups.map((g) => g.id).sort());
    afterMutations = changes.at(-1)!.cursor;
  });

  it('a forged delivery (no secret, wrong secret, the API key) is refused with 401 and changes nothing', async () => {
    const user = (await truthOf(sim, 0)).users.find((u) => u.status === 'ACTIVE')!;
    const forged = JSON.stringify({
      eventType: 'com.okta.event_hook',
      data: { events: [{ uuid: 'forged-0001', eventType: 'user.lifecycle.deactivate', published: new Date().toISOString(), target: [{ id: user.id, type: 'User' }] }] },
    });
    for (const authorization of [undefined, 'okhs_guess', `Bearer ${API_KEY}`]) {
      const res = await fetch(`${apiUrl}/v1/hooks/okta/acme`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization === undefined ? {} : { authorization }) },
        body: forged,
      });
      expect(res.status).toBe(401);
    }
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect((await feed(afterMutations)).filter((e) => e.type !== 'log_event')).toEqual([]);
  });
});
