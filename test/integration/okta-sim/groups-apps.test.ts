import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OktaSim, type SimOrgInfo, startOktaSim } from '../../../src/okta-sim/index.js';
import { type OktaErrorBody, apiGet, listAll, nextLink, secretToken } from './sim-http.js';

interface Group {
  id: string;
  type: string;
  lastUpdated: string;
  lastMembershipUpdated: string;
  profile: { name: string };
  _embedded?: { stats: { usersCount: number } };
}
interface App {
  id: string;
  label: string;
  status: string;
}
interface AppUser {
  id: string;
  scope: string;
  credentials: { userName: string };
  _links: { user: { href: string } };
}

let sim: OktaSim;
let org: SimOrgInfo;
let token: string;

beforeAll(async () => {
  sim = await startOktaSim({ users: 1300, groups: 12, apps: 25, logs: 1 });
  org = sim.orgs[0]!;
  token = await secretToken(org);
});
afterAll(() => sim.close());

const q = (expression: string): string => encodeURIComponent(expression);
const membersOf = (groupId: string): string[] =>
  sim.org(0).truth().memberships.filter((m) => m.startsWith(`${groupId}:`)).map((m) => m.slice(groupId.length + 1));

describe('groups', () => {
  it('lists every group, with usersCount under expand=stats matching the memberships', async () => {
    const truth = sim.org(0).truth();
    const { items } = await listAll<Group>(org, '/api/v1/groups?expand=stats&limit=5', token);
    expect(items.map((g) => g.id)).toEqual(truth.groups.map((g) => g.id));
    for (const group of items) expect(group._embedded?.stats.usersCount).toBe(membersOf(group.id).length);
    expect(items.some((g) => g._embedded?.stats.usersCount === 0)).toBe(true);
    expect(items.find((g) => g.type === 'BUILT_IN')?.profile.name).toBe('Everyone');
    const plain = await apiGet(org, '/api/v1/groups', token);
    expect(plain.json<Group[]>()[0]!._embedded).toBeUndefined();
  });

  it('filters on lastUpdated and lastMembershipUpdated with gt and ge', async () => {
    const groups = sim.org(0).truth().groups;
    for (const attribute of ['lastUpdated', 'lastMembershipUpdated'] as const) {
      const pivot = [...groups].sort((a, b) => (a[attribute] < b[attribute] ? -1 : 1))[5]![attribute];
      const gt = (await listAll<Group>(org, `/api/v1/groups?filter=${q(`${attribute} gt "${pivot}"`)}`, token)).items;
      const ge = (await listAll<Group>(org, `/api/v1/groups?filter=${q(`${attribute} ge "${pivot}"`)}`, token)).items;
      expect(gt.map((g) => g.id).sort()).toEqual(groups.filter((g) => g[attribute] > pivot).map((g) => g.id).sort());
      expect(ge.length).toBe(gt.length + groups.filter((g) => g[attribute] === pivot).length);
    }
    const both = await apiGet(org, `/api/v1/groups?filter=${q('lastUpdated gt "2000-01-01T00:00:00Z" or lastMembershipUpdated gt "2000-01-01T00:00:00Z"')}`, token);
    expect(both.json<Group[]>()).toHaveLength(groups.length);
  });

  it('lists members 1000 per page by default, honours limit, and 404s unknown groups', async () => {
    const everyone = sim.org(0).truth().groups.find((g) => g.type === 'BUILT_IN')!;
    const first = await apiGet(org, `/api/v1/groups/${everyone.id}/users`, token);
    expect(first.json<unknown[]>()).toHaveLength(1000);
    expect(nextLink(first)).toBeDefined();
    expect(sim.org(0).stats().requestsByBucket.groups?.['200']).toBeGreaterThan(0);
    const { items, pages } = await listAll<{ id: string }>(org, `/api/v1/groups/${everyone.id}/users?limit=200`, token);
    expect(pages).toBe(Math.ceil(items.length / 200));
    expect(items.map((u) => u.id).sort()).toEqual(membersOf(everyone.id).sort());
    const missing = await apiGet(org, '/api/v1/groups/00gMissing0000000000/users', token);
    expect(missing.status).toBe(404);
    expect(missing.json<OktaErrorBody>().errorCode).toBe('E0000007');
    expect((await apiGet(org, '/api/v1/groups/00gMissing0000000000', token)).status).toBe(404);
  });
});

describe('apps', () => {
  it('lists apps 20 per page by default, INACTIVE ones only with includeNonDeleted=true, and filters by status', async () => {
    const truth = sim.org(0).truth();
    expect(truth.apps.some((a) => a.status === 'INACTIVE')).toBe(true);
    const first = await apiGet(org, '/api/v1/apps?includeNonDeleted=true', token);
    expect(first.json<App[]>()).toHaveLength(20);
    const { items } = await listAll<App>(org, '/api/v1/apps?includeNonDeleted=true', token);
    expect(items.map((a) => a.id)).toEqual(truth.apps.map((a) => a.id));
    const plain = await listAll<App>(org, '/api/v1/apps', token);
    expect(plain.items.map((a) => a.id)).toEqual(truth.apps.filter((a) => a.status === 'ACTIVE').map((a) => a.id));
    const active = await listAll<App>(org, `/api/v1/apps?filter=${q('status eq "ACTIVE"')}`, token);
    expect(active.items.length).toBe(truth.apps.filter((a) => a.status === 'ACTIVE').length);
  });

  it('lists app users (default 50, at most 500 per page) and 404s unknown apps', async () => {
    const truth = sim.org(0).truth();
    const app = truth.apps[0]!;
    const assigned = truth.appUsers.filter((a) => a.startsWith(`${app.id}:`)).map((a) => a.slice(app.id.length + 1));
    const first = await apiGet(org, `/api/v1/apps/${app.id}/users`, token);
    expect(first.json<AppUser[]>()).toHaveLength(Math.min(50, assigned.length));
    expect((await apiGet(org, `/api/v1/apps/${app.id}/users?limit=900`, token)).json<AppUser[]>().length).toBe(Math.min(500, assigned.length));
    const { items } = await listAll<AppUser>(org, `/api/v1/apps/${app.id}/users?limit=100`, token);
    expect(items.map((u) => u.id).sort()).toEqual(assigned.sort());
    expect(items[0]).toMatchObject({ scope: 'USER', _links: { user: { href: `${org.baseUrl}/api/v1/users/${items[0]!.id}` } } });
    expect((await apiGet(org, '/api/v1/apps/0oaMissing0000000000/users', token)).status).toBe(404);
    expect((await apiGet(org, '/api/v1/apps/0oaMissing0000000000', token)).status).toBe(404);
  });
});
