import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OktaSim, type SimOrgInfo, startOktaSim } from '../../../src/okta-sim/index.js';
import { admin, apiGet, secretToken } from './sim-http.js';

/** `searchLagMs`: users search sees a change only after the lag; plain reads see it at once. */
let sim: OktaSim;
let org: SimOrgInfo;
let token: string;
const LAG_MS = 1_500;

beforeAll(async () => {
  sim = await startOktaSim({ users: 20, groups: 2, apps: 1, logs: 1, searchLagMs: LAG_MS });
  org = sim.orgs[0]!;
  token = await secretToken(org);
});
afterAll(() => sim.close());

const search = async (expression: string) =>
  (await apiGet(org, `/api/v1/users?search=${encodeURIComponent(expression)}&limit=200`, token)).json<{ id: string; profile: { lastName: string } }[]>();

describe('search lag', () => {
  it('a new user and an update reach search only after the lag; the old version is served meanwhile', async () => {
    const user = sim.org(0).truth().users.find((u) => u.status === 'ACTIVE')!;
    const before = (await search('lastUpdated gt "2000-01-01T00:00:00.000Z"')).length;
    const [added] = (await admin<{ results: { id: string }[] }>(org, 'mutate', [{ op: 'addUser' }, { op: 'updateUser', id: user.id, profile: { lastName: 'Lagged' } }])).results;
    const changedAt = Date.now();
    const early = await search('lastUpdated gt "2000-01-01T00:00:00.000Z"');
    // Only meaningful if we asked inside the lag (a loaded machine may have been slower).
    if (Date.now() - changedAt < LAG_MS) {
      expect(early).toHaveLength(before);
      expect(early.find((u) => u.id === user.id)?.profile.lastName).toBe(user.profile.lastName);
    }
    // A read by id is not a search: it is current at once.
    expect((await apiGet(org, `/api/v1/users/${user.id}`, token)).json<{ profile: { lastName: string } }>().profile.lastName).toBe('Lagged');
    await new Promise((r) => setTimeout(r, LAG_MS + 100));
    const late = await search('lastUpdated gt "2000-01-01T00:00:00.000Z"');
    expect(late).toHaveLength(before + 1);
    expect(late.some((u) => u.id === added!.id)).toBe(true);
    expect(late.find((u) => u.id === user.id)?.profile.lastName).toBe('Lagged');
  });
});
