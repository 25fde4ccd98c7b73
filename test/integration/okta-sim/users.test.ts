import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OktaSim, type SimOrgInfo, startOktaSim } from '../../../src/okta-sim/index.js';
import { type OktaErrorBody, apiGet, header, listAll, nextLink, secretToken } from './sim-http.js';

interface User {
  id: string;
  status: string;
  lastUpdated: string;
  profile: { login: string };
  _links: { self: { href: string } };
}

let sim: OktaSim;
let org: SimOrgInfo;
let token: string;

beforeAll(async () => {
  sim = await startOktaSim({ users: 450, groups: 3, apps: 1, logs: 1, seed: 7 });
  org = sim.orgs[0]!;
  token = await secretToken(org);
});
afterAll(() => sim.close());

const q = (expression: string): string => encodeURIComponent(expression);

describe('GET /api/v1/users', () => {
  it('pages 200 at a time with Link self and next, and a plain list omits DEPROVISIONED users', async () => {
    const truth = sim.org(0).truth();
    const deprovisioned = truth.users.filter((u) => u.status === 'DEPROVISIONED');
    expect(deprovisioned.length).toBeGreaterThan(0);
    expect(truth.users.some((u) => u.status === 'STAGED')).toBe(true);
    expect(truth.users.some((u) => u.status === 'SUSPENDED')).toBe(true);

    const first = await apiGet(org, '/api/v1/users', token);
    expect(first.status).toBe(200);
    expect(first.json<User[]>()).toHaveLength(200);
    const links = first.headers['link'];
    expect(Array.isArray(links) ? links : [links]).toContain(`<${org.baseUrl}/api/v1/users>; rel="self"`);
    const next = nextLink(first)!;
    const after = new URL(next).searchParams.get('after')!;
    // The cursor is opaque: not the id of the last user on the page.
    expect(after).not.toBe(first.json<User[]>()[199]!.id);

    const { items, pages } = await listAll<User>(org, '/api/v1/users', token);
    expect(pages).toBe(Math.ceil(items.length / 200));
    expect(items.map((u) => u.id).sort()).toEqual(truth.users.filter((u) => u.status !== 'DEPROVISIONED').map((u) => u.id).sort());
    expect(items[0]!._links.self.href).toBe(`${org.baseUrl}/api/v1/users/${items[0]!.id}`);
  });

  it('caps limit at 200, honours smaller limits and keeps parameters in the next link', async () => {
    expect((await apiGet(org, '/api/v1/users?limit=1000', token)).json<User[]>()).toHaveLength(200);
    const small = await apiGet(org, '/api/v1/users?limit=7', token);
    expect(small.json<User[]>()).toHaveLength(7);
    expect(new URL(nextLink(small)!).searchParams.get('limit')).toBe('7');
    const bad = await apiGet(org, '/api/v1/users?limit=abc', token);
    expect(bad.status).toBe(400);
    expect(bad.json<OktaErrorBody>().errorCode).toBe('E0000001');
  });

  it('includes DEPROVISIONED users with any search or filter', async () => {
    const truth = sim.org(0).truth();
    for (const param of ['search', 'filter']) {
      const { items } = await listAll<User>(org, `/api/v1/users?${param}=${q('lastUpdated gt "2000-01-01T00:00:00.000Z"')}`, token);
      expect(items).toHaveLength(truth.users.length);
      expect(items.some((u) => u.status === 'DEPROVISIONED')).toBe(true);
    }
    const { items } = await listAll<User>(org, `/api/v1/users?search=${q('status eq "DEPROVISIONED"')}`, token);
    expect(items.length).toBe(truth.users.filter((u) => u.status === 'DEPROVISIONED').length);
  });

  it('distinguishes gt from ge on lastUpdated', async () => {
    const sample = sim.org(0).truth().users[10]!;
    const at = sample.lastUpdated;
    const gt = await listAll<User>(org, `/api/v1/users?search=${q(`lastUpdated gt "${at}"`)}`, token);
    const ge = await listAll<User>(org, `/api/v1/users?search=${q(`lastUpdated ge "${at}"`)}`, token);
    expect(ge.items.map((u) => u.id)).toContain(sample.id);
    expect(gt.items.map((u) => u.id)).not.toContain(sample.id);
    for (const u of gt.items) expect(u.lastUpdated > at).toBe(true);
    // A timestamp without milliseconds reads as the same instant.
    const noMillis = await listAll<User>(org, `/api/v1/users?search=${q('lastUpdated ge "2024-06-01T00:00:00Z"')}`, token);
    expect(noMillis.items.length).toBe(sim.org(0).truth().users.length);
  });

  it('answers 400 E0000031 to a search it cannot read', async () => {
    const answer = await apiGet(org, `/api/v1/users?search=${q('lastUpdated gtt "x"')}`, token);
    expect(answer.status).toBe(400);
    expect(answer.json<OktaErrorBody>()).toMatchObject({ errorCode: 'E0000031', errorLink: 'E0000031' });
  });

  it('gets one user by id (DEPROVISIONED too) and 404 E0000007 for unknown ids', async () => {
    const gone = sim.org(0).truth().users.find((u) => u.status === 'DEPROVISIONED')!;
    const found = await apiGet(org, `/api/v1/users/${gone.id}`, token);
    expect(found.json<User>()).toMatchObject({ id: gone.id, status: 'DEPROVISIONED' });
    const missing = await apiGet(org, '/api/v1/users/00uDoesNotExist00000', token);
    expect(missing.status).toBe(404);
    const body = missing.json<OktaErrorBody>();
    expect(body.errorCode).toBe('E0000007');
    expect(Object.keys(body).sort()).toEqual(['errorCauses', 'errorCode', 'errorId', 'errorLink', 'errorSummary']);
    expect(header(missing, 'x-rate-limit-remaining')).toBeDefined();
  });

  it('produces the same data for the same seed and different data per org', async () => {
    const again = await startOktaSim({ orgs: 2, users: 450, groups: 3, apps: 1, logs: 1, seed: 7 });
    try {
      const ids = (s: OktaSim, i: number): string[] => s.org(i).truth().users.map((u) => u.id);
      expect(ids(again, 0)).toEqual(ids(sim, 0));
      expect(ids(again, 1)).not.toEqual(ids(sim, 0));
      expect(again.orgs[0]!.port).not.toBe(again.orgs[1]!.port);
      expect(again.orgs[0]!.clientId).not.toBe(again.orgs[1]!.clientId);
    } finally {
      await again.close();
    }
  });
});
