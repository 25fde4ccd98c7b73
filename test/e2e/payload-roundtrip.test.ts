import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OktaSim, startOktaSim } from '../../src/okta-sim/index.js';
import { createSandbox, type Sandbox } from '../helpers/fixtures.js';
import { runCli, startCliProcess, stopProcess } from '../helpers/processes.js';
import { addTenant, syncAndWait, truthOf } from './sync-harness.js';

/**
 * Issue 12, payload variety: an org with apps of several sign-on modes, APP_GROUP groups, unicode
 * and ≥ 50 KB profiles, the nulls Okta sends and multi-target log events, synced by a real worker
 * and read back through `okta-sync export`: every object exactly as the simulator holds it.
 */
let sim: OktaSim;
let box: Sandbox;
let worker: ReturnType<typeof startCliProcess>;

beforeAll(async () => {
  box = createSandbox('payload-roundtrip');
  sim = await startOktaSim({ users: 400, groups: 9, apps: 8, logs: 60, seed: 21, rateLimits: 'unlimited', payloadVariety: true });
  worker = startCliProcess(['worker', '--concurrency', '4'], box.env());
  await addTenant(box, sim, 'variety', 0);
});

afterAll(async () => {
  await stopProcess(worker);
  await sim?.close();
  box?.cleanup();
});

async function exported(resource: string): Promise<Map<string, Record<string, unknown>>> {
  const res = await runCli(['export', 'variety', '--resource', resource], box.env(), { timeoutMs: 60_000 });
  expect(res.code, res.stderr).toBe(0);
  const rows = res.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { oktaId: string; data: Record<string, unknown> });
  return new Map(rows.map((r) => [r.oktaId, r.data]));
}

/** Every field the simulator holds equals what was stored (the store may add `_links`/`_embedded`). */
function expectSameFields(truth: readonly object[], key: string, stored: Map<string, Record<string, unknown>>): void {
  expect(stored.size).toBe(truth.length);
  for (const item of truth as Record<string, unknown>[]) {
    const data = stored.get(String(item[key]));
    expect(data, String(item[key])).toBeDefined();
    // Compared as JSON (one line on a mismatch, not a diff of a 50 KB profile); key order is Okta's too.
    const kept = JSON.stringify(Object.fromEntries(Object.keys(item).map((k) => [k, data?.[k]])));
    expect(kept === JSON.stringify(item), `${String(item[key])} stored as sent`).toBe(true);
  }
}

describe('payload variety round trip', () => {
  it('stores every shape intact: export equals the simulator truth', { timeout: 120_000 }, async () => {
    await syncAndWait(box, 'variety', ['users', 'groups', 'memberships', 'apps', 'logs']);
    const truth = await truthOf(sim, 0);
    // The variety is there to be tested.
    expect(new Set(truth.apps.map((a) => a.signOnMode))).toEqual(new Set(['BOOKMARK', 'SAML_2_0', 'OPENID_CONNECT', 'BROWSER_PLUGIN']));
    expect(new Set(truth.groups.map((g) => g.type))).toEqual(new Set(['BUILT_IN', 'OKTA_GROUP', 'APP_GROUP']));
    const large = truth.users.filter((u) => JSON.stringify(u.profile).length >= 50 * 1024);
    expect(large.length).toBeGreaterThan(0);
    expect(truth.users.some((u) => [...u.profile.firstName].some((c) => c.charCodeAt(0) > 127))).toBe(true);
    expect(truth.logEvents.some((e) => (e.target?.length ?? 0) >= 2)).toBe(true);
    expect(truth.logEvents.some((e) => e.target === null && e.legacyEventType === null && e.outcome.reason === null)).toBe(true);

    expectSameFields(truth.users, 'id', await exported('users'));
    expectSameFields(truth.groups, 'id', await exported('groups'));
    expectSameFields(truth.apps, 'id', await exported('apps'));
    const events = await exported('logs');
    expect(events.size).toBe(truth.logEvents.length);
    for (const event of truth.logEvents) expect(events.get(event.uuid)).toEqual(event);

    // Assignments keep Okta's nulls: `externalId: null` is stored as null, not dropped.
    const assignments = await exported('app_users');
    expect([...assignments.keys()].sort()).toEqual(truth.appUsers);
    const values = [...assignments.values()];
    expect(values.some((a) => 'externalId' in a && a.externalId === null)).toBe(true);
    expect(values.some((a) => typeof a.externalId === 'string')).toBe(true);
  });
});
