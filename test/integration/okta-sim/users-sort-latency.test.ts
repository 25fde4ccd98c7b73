import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OktaSim, type SimOrgInfo, startOktaSim } from '../../../src/okta-sim/index.js';
import { LatencyModel } from '../../../src/okta-sim/latency.js';
import { mulberry32 } from '../../../src/okta-sim/prng.js';
import { type OktaErrorBody, apiGet, listAll, secretToken } from './sim-http.js';

interface User {
  id: string;
  created: string;
  status: string;
}

let sim: OktaSim;
let org: SimOrgInfo;
let token: string;

beforeAll(async () => {
  sim = await startOktaSim({ users: 450, groups: 1, apps: 1, logs: 1, seed: 11 });
  org = sim.orgs[0]!;
  token = await secretToken(org);
});
afterAll(() => sim.close());

const q = (expression: string): string => encodeURIComponent(expression);
const byCreatedThenId = (a: User, b: User): number => (a.created < b.created ? -1 : a.created > b.created ? 1 : a.id < b.id ? -1 : 1);

describe('users search sortBy/sortOrder', () => {
  it('pages a search in created order, ascending and descending, with every user exactly once', async () => {
    const truth = sim.org(0).truth().users as unknown as User[];
    const search = q('lastUpdated gt "1970-01-01T00:00:00.000Z"');
    const asc = await listAll<User>(org, `/api/v1/users?search=${search}&sortBy=created&sortOrder=asc&limit=37`, token);
    expect(asc.items.map((u) => u.id)).toEqual([...truth].sort(byCreatedThenId).map((u) => u.id));
    const desc = await listAll<User>(org, `/api/v1/users?search=${search}&sortBy=created&sortOrder=desc&limit=41`, token);
    const createdDesc = desc.items.map((u) => u.created);
    expect(createdDesc).toEqual([...createdDesc].sort().reverse());
    expect(new Set(desc.items.map((u) => u.id)).size).toBe(truth.length);
    // sortOrder defaults to asc; limit=1 gives the oldest user.
    const oldest = await apiGet(org, `/api/v1/users?search=${search}&sortBy=created&limit=1`, token);
    expect(oldest.json<User[]>()[0]!.id).toBe([...truth].sort(byCreatedThenId)[0]!.id);
  });

  it('lists created ranges that together cover the org without overlap', async () => {
    const truth = sim.org(0).truth().users as unknown as User[];
    const sorted = [...truth].sort(byCreatedThenId);
    const mid = sorted[200]!.created;
    const lower = await listAll<User>(org, `/api/v1/users?search=${q(`created lt "${mid}"`)}&sortBy=created`, token);
    const upper = await listAll<User>(org, `/api/v1/users?search=${q(`created ge "${mid}"`)}&sortBy=created`, token);
    expect([...lower.items, ...upper.items].map((u) => u.id)).toEqual(sorted.map((u) => u.id));
    // Both bounds with another clause: the other clause still decides, in id order without sortBy.
    const low = sorted[100]!.created;
    const both = await listAll<User>(org, `/api/v1/users?search=${q(`created ge "${low}" and created lt "${mid}" and status eq "ACTIVE"`)}`, token);
    expect(both.items.map((u) => u.id)).toEqual(
      truth.filter((u) => u.created >= low && u.created < mid && u.status === 'ACTIVE').map((u) => u.id).sort(),
    );
    expect(both.items.length).toBeGreaterThan(0);
  });

  it('refuses an unknown sortBy or sortOrder, and a plain list ignores sortBy', async () => {
    const bad = await apiGet(org, `/api/v1/users?search=${q('status eq "ACTIVE"')}&sortBy=nope`, token);
    expect(bad.status).toBe(400);
    expect(bad.json<OktaErrorBody>().errorCode).toBe('E0000031');
    const badOrder = await apiGet(org, `/api/v1/users?search=${q('status eq "ACTIVE"')}&sortBy=created&sortOrder=up`, token);
    expect(badOrder.status).toBe(400);
    const plain = await apiGet(org, '/api/v1/users?sortBy=created&limit=5', token);
    const ids = plain.json<User[]>().map((u) => u.id);
    expect(ids).toEqual([...ids].sort());
  });
});

describe('latency option', () => {
  it('draws log-normal delays around the median with p99 near 4x, the same for the same seed', () => {
    const draw = (seed: number) => {
      const model = new LatencyModel(500, mulberry32(seed));
      return Array.from({ length: 20_000 }, () => model.nextMs());
    };
    const delays = draw(3).sort((a, b) => a - b);
    const median = delays[10_000]!;
    const p99 = delays[19_800]!;
    expect(median).toBeGreaterThan(470);
    expect(median).toBeLessThan(530);
    expect(p99 / median).toBeGreaterThan(3.6);
    expect(p99 / median).toBeLessThan(4.4);
    expect(draw(9).slice(0, 50)).toEqual(draw(9).slice(0, 50));
    expect(new LatencyModel(0, mulberry32(1)).nextMs()).toBe(0);
  });

  it('delays API answers of an in-process simulator', async () => {
    const slow = await startOktaSim({ users: 5, groups: 1, apps: 1, logs: 1, latencyMs: 150 });
    try {
      const slowOrg = slow.orgs[0]!;
      const slowToken = await secretToken(slowOrg);
      const elapsed: number[] = [];
      for (let i = 0; i < 9; i++) {
        const start = performance.now();
        expect((await apiGet(slowOrg, '/api/v1/users', slowToken)).status).toBe(200);
        elapsed.push(performance.now() - start);
      }
      // Load only adds time, so a lower bound is safe: the median draw is ~150 ms.
      expect(elapsed.sort((a, b) => a - b)[4]!).toBeGreaterThan(80);
    } finally {
      await slow.close();
    }
  });
});
