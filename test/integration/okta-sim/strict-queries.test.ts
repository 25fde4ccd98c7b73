import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OktaSim, type SimOrgInfo, startOktaSim } from '../../../src/okta-sim/index.js';
import { RESOURCE_SYNCS } from '../../../src/workers/resources/index.js';
import { type OktaErrorBody, apiGet, nextLink, secretToken } from './sim-http.js';

/**
 * The simulator accepts what Okta documents and refuses the rest with 400 E0000031, so a change
 * in what the product sends that Okta would refuse fails here. Every query the product builds is
 * taken from the product's own URL builders (tests may import both sides).
 */
let sim: OktaSim;
let org: SimOrgInfo;
let token: string;

beforeAll(async () => {
  sim = await startOktaSim({ users: 60, groups: 5, apps: 3, logs: 20, seed: 5 });
  org = sim.orgs[0]!;
  token = await secretToken(org);
});
afterAll(() => sim.close());

const q = (text: string) => encodeURIComponent(text);

function productUrls(): string[] {
  const urls: string[] = [];
  const groupId = sim.org(0).truth().groups[1]!.id;
  const appId = sim.org(0).truth().apps[0]!.id;
  for (const sync of Object.values(RESOURCE_SYNCS)) {
    for (const mode of ['full', 'incremental'] as const) {
      const watermark = mode === 'incremental' ? new Date(Date.now() - 3_600_000).toISOString() : undefined;
      urls.push(sync.firstUrl({ origin: org.baseUrl, mode, watermark, limit: sync.pageSize, now: Date.now(), logFirstSyncDays: 7 }));
    }
    if (sync.fanOut) urls.push(sync.fanOut.childUrl(org.baseUrl, sync.resource === 'apps' ? appId : groupId, sync.fanOut.pageSize));
  }
  return urls;
}

const refused = async (path: string) => {
  const answer = await apiGet(org, path, token);
  expect(answer.status, path).toBe(400);
  expect(answer.json<OktaErrorBody>().errorCode, path).toBe('E0000031');
};

describe('strict simulator: queries', () => {
  it('accepts every query the product sends', async () => {
    const urls = productUrls();
    expect(urls.length).toBeGreaterThanOrEqual(12);
    for (const url of urls) {
      const answer = await apiGet(org, url, token);
      expect(answer.status, url).toBe(200);
    }
  });

  it('users filter: documented properties with eq (ranges on lastUpdated), strings without case; ne and others refused', async () => {
    const user = sim.org(0).truth().users.find((u) => u.status === 'ACTIVE')!;
    const byLogin = await apiGet(org, `/api/v1/users?filter=${q(`profile.login eq "${user.profile.login.toUpperCase()}"`)}`, token);
    expect(byLogin.json<{ id: string }[]>().map((u) => u.id)).toEqual([user.id]);
    expect((await apiGet(org, `/api/v1/users?filter=${q('lastUpdated lt "2100-01-01T00:00:00.000Z" and status eq "ACTIVE"')}`, token)).status).toBe(200);
    await refused(`/api/v1/users?filter=${q('status ne "DEPROVISIONED"')}`);
    await refused(`/api/v1/users?filter=${q('profile.department eq "Sales"')}`);
    await refused(`/api/v1/users?filter=${q('created gt "2020-01-01T00:00:00.000Z"')}`);
    await refused(`/api/v1/users?filter=${q('status gt "A"')}`);
    await refused(`/api/v1/users?filter=${q('profile.login sw "a"')}`);
  });

  it('users search: id, created, lastUpdated, status and profile.* with eq lt le gt ge sw pr; ne and co refused', async () => {
    for (const expression of ['profile.department pr', 'profile.login sw "a"', 'created ge "2020-01-01T00:00:00.000Z" or status eq "STAGED"', 'id eq "00u1"']) {
      expect((await apiGet(org, `/api/v1/users?search=${q(expression)}`, token)).status, expression).toBe(200);
    }
    await refused(`/api/v1/users?search=${q('status ne "ACTIVE"')}`);
    await refused(`/api/v1/users?search=${q('profile.login co "a"')}`);
    await refused(`/api/v1/users?search=${q('lastLogin gt "2020-01-01T00:00:00.000Z"')}`);
  });

  it('groups filter: only id, type, lastUpdated, lastMembershipUpdated', async () => {
    const everyone = await apiGet(org, `/api/v1/groups?filter=${q('type eq "BUILT_IN"')}`, token);
    expect(everyone.json<{ profile: { name: string } }[]>().map((g) => g.profile.name)).toEqual(['Everyone']);
    await refused(`/api/v1/groups?filter=${q('profile.name eq "Everyone"')}`);
    await refused(`/api/v1/groups?filter=${q('type ne "BUILT_IN"')}`);
    await refused(`/api/v1/groups?filter=${q('created gt "2020-01-01T00:00:00.000Z"')}`);
  });

  it('q does not paginate: no next link, and after beside q is refused', async () => {
    const first = await apiGet(org, '/api/v1/users?q=a&limit=1', token);
    expect(first.status).toBe(200);
    expect(first.json<unknown[]>()).toHaveLength(1);
    expect(nextLink(first)).toBeUndefined();
    const plain = await apiGet(org, '/api/v1/users?limit=1', token);
    const after = new URL(nextLink(plain)!).searchParams.get('after')!;
    await refused(`/api/v1/users?q=a&limit=1&after=${after}`);
    expect(nextLink(await apiGet(org, '/api/v1/groups?q=E&limit=1', token))).toBeUndefined();
  });

  it('System Log takes limit=0: an empty page whose next link still finds every event', async () => {
    const since = q(new Date(Date.now() - 2 * 86_400_000).toISOString());
    const empty = await apiGet(org, `/api/v1/logs?since=${since}&limit=0`, token);
    expect(empty.status).toBe(200);
    expect(empty.json<unknown[]>()).toEqual([]);
    const next = nextLink(empty)!;
    const rest = await apiGet(org, `${next.replace('limit=0', 'limit=1000')}`, token);
    expect(rest.json<unknown[]>()).toHaveLength(sim.org(0).truth().logEvents.length);
  });
});
