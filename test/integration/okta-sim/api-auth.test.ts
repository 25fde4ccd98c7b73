import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OktaSim, type SimOrgInfo, startOktaSim } from '../../../src/okta-sim/index.js';
import { type OktaErrorBody, admin, apiGet, header, http, secretToken } from './sim-http.js';

let sim: OktaSim;
let org: SimOrgInfo;

beforeAll(async () => {
  sim = await startOktaSim({ orgs: 2, users: 10, groups: 2, apps: 1, logs: 2, tokenTtlSeconds: 1 });
  org = sim.orgs[0]!;
});
afterAll(() => sim.close());

function expectInvalidToken(answer: Awaited<ReturnType<typeof apiGet>>): void {
  expect(answer.status).toBe(401);
  expect(answer.json<OktaErrorBody>().errorCode).toBe('E0000011');
  expect(header(answer, 'www-authenticate')).toMatch(/^Bearer .*error="invalid_token"/);
}

describe('API authentication', () => {
  it('answers 403 E0000006 with insufficient_scope, sometimes with no body at all', async () => {
    const token = await secretToken(org, 'okta.users.read');
    const bodies: string[] = [];
    for (const path of ['/api/v1/groups', '/api/v1/apps', '/api/v1/logs', '/api/v1/groups']) {
      const answer = await apiGet(org, path, token);
      expect(answer.status).toBe(403);
      expect(header(answer, 'www-authenticate')).toMatch(/error="insufficient_scope"/);
      bodies.push(answer.text);
    }
    expect(bodies).toContain('');
    const withBody = bodies.find((b) => b !== '')!;
    expect(JSON.parse(withBody)).toMatchObject({ errorCode: 'E0000006' });
    expect((await apiGet(org, '/api/v1/users', token)).status).toBe(200);
  });

  it('answers 401 invalid_token to a missing, unknown or foreign token and counts foreign ones', async () => {
    await admin(org, 'reset-stats', {});
    expectInvalidToken(await http(`${org.baseUrl}/api/v1/users`));
    expectInvalidToken(await apiGet(org, '/api/v1/users', 'made-up-token'));
    const otherOrgToken = await secretToken(sim.orgs[1]!);
    expectInvalidToken(await apiGet(org, '/api/v1/users', otherOrgToken));
    const stats = await admin<{ foreignTokens: number }>(org, 'stats');
    expect(stats.foreignTokens).toBe(2);
  });

  it('answers 401 invalid_token once a token has expired', async () => {
    const token = await secretToken(org);
    expect((await apiGet(org, '/api/v1/users', token)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expectInvalidToken(await apiGet(org, '/api/v1/users', token));
  });

  it('revokes one token or all of them', async () => {
    const [a, b, c] = [await secretToken(sim.orgs[1]!), await secretToken(sim.orgs[1]!), await secretToken(sim.orgs[1]!)];
    const other = sim.orgs[1]!;
    expect(await admin(other, 'revoke', { token: a })).toEqual({ revoked: 1 });
    expectInvalidToken(await apiGet(other, '/api/v1/users', a));
    expect((await apiGet(other, '/api/v1/users', b)).status).toBe(200);
    await admin(other, 'revoke', {});
    expectInvalidToken(await apiGet(other, '/api/v1/users', b));
    expectInvalidToken(await apiGet(other, '/api/v1/users', c));
  });

  it('answers 404 E0000007 for unknown API paths and 405 for writes', async () => {
    const token = await secretToken(org);
    const unknown = await apiGet(org, '/api/v1/unicorns', token);
    expect(unknown.status).toBe(404);
    expect(unknown.json<OktaErrorBody>().errorCode).toBe('E0000007');
    const post = await http(`${org.baseUrl}/api/v1/users`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: '{}' });
    expect(post.status).toBe(405);
  });
});
