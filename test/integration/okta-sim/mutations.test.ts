import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OktaSim, type SimOrgInfo, startOktaSim } from '../../../src/okta-sim/index.js';
import { admin, apiGet, bucketOf, http, listAll, secretToken } from './sim-http.js';

interface User {
  id: string;
  status: string;
  lastUpdated: string;
  profile: Record<string, string | null>;
}
interface Group {
  id: string;
  lastUpdated: string;
  lastMembershipUpdated: string;
  _embedded?: { stats: { usersCount: number } };
}
interface LogEvent {
  eventType: string;
  target: { id: string }[] | null;
}
type Results = { results: { ok: boolean; id?: string; error?: string }[] };

let sim: OktaSim;
let org: SimOrgInfo;
let token: string;

beforeAll(async () => {
  sim = await startOktaSim({ users: 60, groups: 4, apps: 2, logs: 3 });
  org = sim.orgs[0]!;
  token = await secretToken(org);
});
afterAll(() => sim.close());

const q = (expression: string): string => encodeURIComponent(expression);
const mutate = (body: unknown): Promise<Results> => admin<Results>(org, 'mutate', body);
const changedSince = async (iso: string): Promise<User[]> => (await listAll<User>(org, `/api/v1/users?search=${q(`lastUpdated gt "${iso}"`)}`, token)).items;
const activeUser = (): User => sim.org(0).truth().users.find((u) => u.status === 'ACTIVE') as unknown as User;
const logsSince = async (iso: string): Promise<LogEvent[]> =>
  (await apiGet(org, `/api/v1/logs?since=${q(iso)}&until=${q(new Date(Date.now() + 60_000).toISOString())}&limit=1000`, token)).json<LogEvent[]>();

/**
 * An instant strictly before the next mutation's `lastUpdated` and after every earlier one: the
 * simulator stamps changes with `max(now, last stamp + 1 ms)`, so a change in the same millisecond
 * as `before` would not be `gt before` (seen once in CI).
 */
async function instantBeforeNextMutation(): Promise<string> {
  const pause = () => new Promise((r) => setTimeout(r, 5));
  await pause();
  const before = new Date().toISOString();
  await pause();
  return before;
}

describe('mutations', () => {
  it('updates a user: visible on the next read (no stale cached page) and to an incremental search', async () => {
    const user = activeUser();
    const before = await instantBeforeNextMutation();
    expect((await apiGet(org, `/api/v1/users/${user.id}`, token)).json<User>().profile['firstName']).not.toBe('Renamed');
    await mutate({ op: 'updateUser', id: user.id, profile: { firstName: 'Renamed' } });
    expect((await apiGet(org, `/api/v1/users/${user.id}`, token)).json<User>().profile['firstName']).toBe('Renamed');
    expect((await changedSince(before)).map((u) => u.id)).toEqual([user.id]);
    expect(sim.org(0).truth().users.find((u) => u.id === user.id)?.profile.firstName).toBe('Renamed');
  });

  it('deprovisions a user: gone from the plain list, found by search, logged', async () => {
    const user = activeUser();
    const before = await instantBeforeNextMutation();
    await mutate([{ op: 'deprovisionUser', id: user.id }]);
    const plain = (await listAll<User>(org, '/api/v1/users', token)).items;
    expect(plain.map((u) => u.id)).not.toContain(user.id);
    expect(await changedSince(before)).toMatchObject([{ id: user.id, status: 'DEPROVISIONED' }]);
    expect((await logsSince(before)).map((e) => e.eventType)).toContain('user.lifecycle.deactivate');
  });

  it('hard-deletes a user: 404, gone from search, memberships and truth; only the System Log remembers', async () => {
    const truth = sim.org(0).truth();
    const membership = truth.memberships.find((m) => truth.groups.some((g) => g.type !== 'BUILT_IN' && m.startsWith(`${g.id}:`)))!;
    const [groupId, userId] = membership.split(':') as [string, string];
    const groupBefore = truth.groups.find((g) => g.id === groupId)!;
    const before = await instantBeforeNextMutation();
    await mutate({ ops: [{ op: 'deleteUser', id: userId }] });
    expect((await apiGet(org, `/api/v1/users/${userId}`, token)).status).toBe(404);
    expect((await changedSince('2000-01-01T00:00:00Z')).map((u) => u.id)).not.toContain(userId);
    const after = sim.org(0).truth();
    expect(after.memberships.some((m) => m.endsWith(`:${userId}`))).toBe(false);
    const members = (await listAll<User>(org, `/api/v1/groups/${groupId}/users`, token)).items;
    expect(members.map((u) => u.id)).not.toContain(userId);
    const group = (await apiGet(org, `/api/v1/groups/${groupId}`, token)).json<Group>();
    expect(group.lastMembershipUpdated > groupBefore.lastMembershipUpdated).toBe(true);
    expect(group.lastUpdated).toBe(groupBefore.lastUpdated);
    const deleted = (await logsSince(before)).find((e) => e.eventType === 'user.lifecycle.delete.completed');
    expect(deleted?.target?.[0]?.id).toBe(userId);
  });

  it('adds users and memberships, moving lastMembershipUpdated and usersCount', async () => {
    const group = sim.org(0).truth().groups.find((g) => g.type !== 'BUILT_IN')!;
    const before = await instantBeforeNextMutation();
    const countBefore = (await apiGet(org, `/api/v1/groups/${group.id}?expand=stats`, token)).json<Group>()._embedded!.stats.usersCount;
    const other = activeUser();
    const otherWasMember = sim.org(0).truth().memberships.includes(`${group.id}:${other.id}`);
    const added = await mutate({ op: 'addUser', profile: { firstName: 'New', login: 'new.person@example.com', email: 'new.person@example.com' }, groupIds: [group.id] });
    const newId = added.results[0]!.id!;
    expect((await apiGet(org, `/api/v1/groups/${group.id}/users`, token)).json<User[]>().map((u) => u.id)).toContain(newId);
    await mutate([{ op: 'addMember', groupId: group.id, userId: other.id }, { op: 'removeMember', groupId: group.id, userId: newId }]);
    const members = (await listAll<User>(org, `/api/v1/groups/${group.id}/users`, token)).items.map((u) => u.id);
    expect(members).toContain(other.id);
    expect(members).not.toContain(newId);
    expect((await apiGet(org, `/api/v1/users/${newId}`, token)).json<User>().profile['login']).toBe('new.person@example.com');
    const moved = (await apiGet(org, `/api/v1/groups?filter=${q(`lastMembershipUpdated gt "${before}"`)}`, token)).json<Group[]>();
    expect(moved.map((g) => g.id)).toEqual([group.id]);
    const countAfter = (await apiGet(org, `/api/v1/groups/${group.id}?expand=stats`, token)).json<Group>()._embedded!.stats.usersCount;
    expect(countAfter).toBe(countBefore + (otherWasMember ? 0 : 1));
  });

  it('deletes a group and reports ops whose target does not exist', async () => {
    const group = sim.org(0).truth().groups.find((g) => g.type !== 'BUILT_IN')!;
    const { results } = await mutate([{ op: 'deleteGroup', id: group.id }, { op: 'deleteUser', id: '00uNobody00000000000' }]);
    expect(results.map((r) => r.ok)).toEqual([true, false]);
    expect((await apiGet(org, `/api/v1/groups/${group.id}`, token)).status).toBe(404);
    expect(sim.org(0).truth().memberships.some((m) => m.startsWith(`${group.id}:`))).toBe(false);
    const bad = await http(`${org.baseUrl}/__sim/mutate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ op: 'explode' }) });
    expect(bad.status).toBe(400);
  });

  it('logs group creation and profile updates, and app assignments with the AppInstance and User as targets', async () => {
    const before = await instantBeforeNextMutation();
    const truth = sim.org(0).truth();
    const appId = truth.apps[0]!.id;
    const user = truth.users.find((u) => !truth.appUsers.includes(`${appId}:${u.id}`))!;
    const results = await mutate([
      { op: 'addGroup', name: 'Fresh' },
      { op: 'updateGroup', id: truth.groups[0]!.id, name: 'Renamed group' },
      { op: 'assignApp', appId, userId: user.id },
      { op: 'assignApp', appId, userId: user.id },
      { op: 'unassignApp', appId, userId: 'nobody' },
    ]);
    expect(results.results.map((r) => r.ok)).toEqual([true, true, true, true, false]);
    const fresh = results.results[0]!.id!;
    expect((await apiGet(org, `/api/v1/groups/${truth.groups[0]!.id}`, token)).json<{ profile: { name: string } }>().profile.name).toBe('Renamed group');
    const assignment = await apiGet(org, `/api/v1/apps/${appId}/users/${user.id}`, token);
    expect(assignment.status).toBe(200);
    expect(assignment.json<{ id: string }>().id).toBe(user.id);
    // Assigning twice is one change, logged once.
    expect((await logsSince(before)).map((e) => [e.eventType, e.target?.map((t) => t.id)])).toEqual([
      ['group.lifecycle.create', [fresh]],
      ['group.profile.update', [truth.groups[0]!.id]],
      ['application.user_membership.add', [appId, user.id]],
    ]);
    await mutate({ op: 'unassignApp', appId, userId: user.id });
    expect((await apiGet(org, `/api/v1/apps/${appId}/users/${user.id}`, token)).status).toBe(404);
    expect((await logsSince(before)).at(-1)?.eventType).toBe('application.user_membership.remove');
  });

  it('serves the same ground truth over /__sim/truth', async () => {
    const overHttp = await admin<{ users: unknown[]; memberships: string[]; appUsers: string[]; logEvents: unknown[] }>(org, 'truth');
    expect(overHttp).toEqual(JSON.parse(JSON.stringify(sim.org(0).truth())));
    expect(overHttp.appUsers.length).toBeGreaterThan(0);
  });

  it('accepts the same mutations through the programmatic handle', async () => {
    const [result] = sim.org(0).mutate({ op: 'addLogEvents', count: 2 });
    expect(result).toMatchObject({ ok: true });
    expect(sim.org(0).truth().logEvents.length).toBeGreaterThanOrEqual(5);
  });
});

describe('stats', () => {
  it('counts API requests by bucket and status', async () => {
    await admin(org, 'reset-stats', {});
    await apiGet(org, '/api/v1/users?limit=1', token);
    await apiGet(org, '/api/v1/users?limit=2', token);
    await apiGet(org, '/api/v1/groups', token);
    await apiGet(org, '/api/v1/users/00uNobody00000000000', token);
    await apiGet(org, '/api/v1/logs', 'not-a-token');
    const stats = await admin<Record<string, unknown>>(org, 'stats');
    expect(bucketOf(stats)).toEqual({ users: { '200': 2 }, groups: { '200': 1 }, user_by_id: { '404': 1 }, logs: { '401': 1 } });
    expect(stats['apiRequests']).toBe(5);
    expect(stats['rateLimited']).toBe(0);
    expect(stats['maxInFlight']).toBeGreaterThanOrEqual(1);
  });
});
