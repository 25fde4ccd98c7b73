import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OktaSim, type SimOrgInfo, startOktaSim } from '../../../src/okta-sim/index.js';
import { ALL_READ, type DpopKey, admin, basic, dpopKey, dpopProof, header, http, tokenRequest } from './sim-http.js';

/** DPoP on API calls as Okta answers it: 401 use_dpop_nonce when the org demands a nonce, 400 invalid_dpop_proof for a refused proof. */
let sim: OktaSim;
let org: SimOrgInfo;

beforeAll(async () => {
  sim = await startOktaSim({ users: 5, groups: 2, apps: 1, logs: 1, dpopApiNonce: true, faults: 'dpopRefuse=4' });
  org = sim.orgs[0]!;
});
afterAll(() => sim.close());

async function dpopToken(key: DpopKey): Promise<string> {
  const tokenUrl = `${org.baseUrl}/oauth2/v1/token`;
  const auth = { authorization: basic(org.dpopClientId, org.dpopClientSecret) };
  const form = { grant_type: 'client_credentials', scope: ALL_READ };
  const first = await tokenRequest(org, form, { ...auth, dpop: await dpopProof(key, { htm: 'POST', htu: tokenUrl }) });
  const nonce = header(first, 'dpop-nonce')!;
  const second = await tokenRequest(org, form, { ...auth, dpop: await dpopProof(key, { htm: 'POST', htu: tokenUrl, nonce }) });
  expect(second.status).toBe(200);
  return second.json<{ access_token: string }>().access_token;
}

describe('DPoP on API calls', () => {
  it('demands a resource-server nonce, then refuses one proof in every N with 400 invalid_dpop_proof', async () => {
    const key = await dpopKey();
    const token = await dpopToken(key);
    const htu = `${org.baseUrl}/api/v1/users`;
    const ath = createHash('sha256').update(token).digest('base64url');
    const call = async (nonce?: string) =>
      http(`${htu}?limit=1`, { headers: { authorization: `DPoP ${token}`, dpop: await dpopProof(key, { htm: 'GET', htu, ath, ...(nonce ? { nonce } : {}) }) } });

    const noNonce = await call();
    expect(noNonce.status).toBe(401);
    expect(header(noNonce, 'www-authenticate')).toContain('error="use_dpop_nonce"');
    const nonce = header(noNonce, 'dpop-nonce');
    expect(nonce).toBeTruthy();
    // The resource server's nonce is its own, not the token endpoint's.
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const answer = await call(nonce);
      statuses.push(answer.status);
      if (answer.status === 400) {
        expect(header(answer, 'www-authenticate')).toMatch(/^DPoP .*error="invalid_dpop_proof"/);
        expect(answer.text).toBe('');
      }
    }
    // dpopRefuse=4 counts proofs that passed verification: the 4th and 8th valid ones are refused.
    expect(statuses).toEqual([200, 200, 200, 400, 200, 200, 200, 400]);
    const stats = await admin<{ faults: Record<string, number> }>(org, 'stats');
    expect(stats.faults.dpopRefuse).toBe(2);
  });
});
