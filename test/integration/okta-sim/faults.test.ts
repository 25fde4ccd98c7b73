import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type OktaSim, type SimOrgInfo, startOktaSim } from '../../../src/okta-sim/index.js';
import { type OktaErrorBody, admin, apiGet, basic, http, secretToken, tokenRequest } from './sim-http.js';

let sim: OktaSim;
let org: SimOrgInfo;
let token: string;

beforeAll(async () => {
  // Faults from the start apply too: every request is slowed by exactly 20 ms until replaced.
  sim = await startOktaSim({ users: 250, groups: 2, apps: 1, logs: 2, faults: 'latency=20' });
  org = sim.orgs[0]!;
  token = await secretToken(org);
});
afterEach(() => admin(org, 'faults', ''));
afterAll(() => sim.close());

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

describe('faults', () => {
  it('adds latency from a distribution, from the start options and after replacement', async () => {
    expect(await admin(org, 'faults')).toEqual({ faults: { latencyMs: { min: 20, max: 20 } } });
    sim.org(0).setFaults({ latencyMs: { min: 150, max: 200 } });
    const { ms, value } = await timed(() => apiGet(org, '/api/v1/groups', token));
    expect(value.status).toBe(200);
    expect(ms).toBeGreaterThanOrEqual(145);
  });

  it('answers 503 E0000010 and 500 E0000009 at the configured rate', async () => {
    await admin(org, 'faults', 'error5xx=1');
    const answers = await Promise.all(Array.from({ length: 12 }, () => apiGet(org, '/api/v1/groups', token)));
    const codes = new Set(answers.map((a) => `${a.status} ${a.json<OktaErrorBody>().errorCode}`));
    expect(codes).toEqual(new Set(['503 E0000010', '500 E0000009']));
  });

  it('resets connections without answering', async () => {
    await admin(org, 'faults', { spec: 'reset=1' });
    await expect(apiGet(org, '/api/v1/groups', token)).rejects.toThrow();
  });

  it('answers 500 to pages larger than the bigPage500 threshold only', async () => {
    await admin(org, 'faults', 'bigPage500=100');
    const big = await apiGet(org, '/api/v1/users', token);
    expect(big.status).toBe(500);
    expect(big.json<OktaErrorBody>().errorCode).toBe('E0000009');
    expect((await apiGet(org, '/api/v1/users?limit=100', token)).status).toBe(200);
  });

  it('sends malformed JSON with a 200', async () => {
    await admin(org, 'faults', 'malformed=1');
    const answer = await apiGet(org, '/api/v1/users', token);
    expect(answer.status).toBe(200);
    expect(() => answer.json()).toThrow(SyntaxError);
  });

  it('trickles slow bodies that are still complete', async () => {
    await admin(org, 'faults', 'slowBody=1,slowBodyMs=400');
    const { ms, value } = await timed(() => apiGet(org, '/api/v1/users', token));
    expect(value.json<unknown[]>()).toHaveLength(200);
    expect(ms).toBeGreaterThanOrEqual(300);
  });

  it('fails token requests with 503 temporarily_unavailable', async () => {
    await admin(org, 'faults', 'tokenError=1');
    const answer = await tokenRequest(org, { grant_type: 'client_credentials', scope: 'okta.users.read' }, { authorization: basic(org.clientId, org.clientSecret) });
    expect(answer.status).toBe(503);
    expect(answer.json()).toMatchObject({ error: 'temporarily_unavailable' });
  });

  it('counts injected faults and refuses an unreadable spec', async () => {
    await admin(org, 'reset-stats', {});
    await admin(org, 'faults', 'error5xx=1');
    await apiGet(org, '/api/v1/groups', token);
    expect((await admin<{ faults: Record<string, number> }>(org, 'stats')).faults).toEqual({ error5xx: 1 });
    for (const spec of ['error5xx=2', 'latency=9-3', 'bogus=1', 'reset']) {
      const answer = await http(`${org.baseUrl}/__sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(spec) });
      expect(answer.status, spec).toBe(400);
    }
  });
});
