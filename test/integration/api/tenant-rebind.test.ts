import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunId, asRunId, asTenantId } from '../../../src/shared/ids.js';
import { EMPTY_COUNTERS } from '../../../src/shared/store/sync-store.js';
import { type ApiHarness, json, startHarness, tenantBody } from './api-harness.js';

// A tenant id's data is bound to the Okta org it came from (issue 14): re-registering a removed id
// for another org, or moving a live tenant with data to another domain, is refused with 409 until
// the data is purged, and the new org never sees the old org's objects, runs or watermarks.

let h: ApiHarness;
const ORG_A = tenantBody({ oktaDomain: 'old-org.okta.com', clientId: '0oaOLDCLIENT' });
const ORG_B = tenantBody({ oktaDomain: 'new-org.okta.com', clientId: '0oaNEWCLIENT' });

beforeAll(async () => {
  h = await startHarness('api-rebind');
});

afterAll(async () => {
  await h?.close();
});

/** What a finished users sync of org A leaves: a run, two users and a watermark. */
async function syncedData(tenant: string): Promise<RunId> {
  const tenantId = asTenantId(tenant);
  const runId = asRunId(`run_${tenant}_old`);
  const at = new Date().toISOString();
  await h.store.createRunUnlessActive({
    ...{ runId, tenantId, resource: 'users', mode: 'full', status: 'queued', createdAt: at },
    ...{ startedAt: null, finishedAt: null, counters: { ...EMPTY_COUNTERS }, error: null, warnings: [] },
  });
  const objects = ['00uOLD1', '00uOLD2'].map((oktaId) => ({ oktaId, data: { id: oktaId }, oktaLastUpdated: at }));
  await h.store.commitPage({ tenantId, runId, type: 'user', pageKey: 'p0', objects, at });
  await h.store.finishRun(runId, { status: 'succeeded', at });
  await h.store.setWatermark(tenantId, 'users', at, at);
  return runId;
}

async function visible(tenant: string): Promise<{ users: unknown[]; runs: unknown[]; watermark: string | undefined }> {
  const users = await h.call({ method: 'GET', url: `/v1/tenants/${tenant}/objects/users` });
  const runs = await h.call({ method: 'GET', url: `/v1/tenants/${tenant}/runs` });
  return {
    users: users.statusCode === 200 ? json<{ items: unknown[] }>(users).items : [],
    runs: runs.statusCode === 200 ? json<{ runs: unknown[] }>(runs).runs : [],
    watermark: await h.store.getWatermark(asTenantId(tenant), 'users'),
  };
}

describe('re-registering a removed tenant id', () => {
  it('is refused for another org (409 naming purgeData) while the old data stays', async () => {
    expect((await h.call({ method: 'PUT', url: '/v1/tenants/t1', payload: ORG_A })).statusCode).toBe(201);
    await syncedData('t1');
    expect((await h.call({ method: 'DELETE', url: '/v1/tenants/t1' })).statusCode).toBe(204);
    for (const payload of [ORG_B, { ...ORG_A, clientId: '0oaOTHERCLIENT' }]) {
      const res = await h.call({ method: 'PUT', url: '/v1/tenants/t1', payload });
      expect(res.statusCode).toBe(409);
      expect(json<{ error: { code: string; message: string } }>(res).error).toMatchObject({
        code: 'tenant_org_changed',
        message: expect.stringContaining('purgeData'),
      });
      expect(res.body).not.toContain('super-secret-value-xyz');
    }
    expect((await h.call({ method: 'GET', url: '/v1/tenants/t1' })).statusCode).toBe(404);
  });

  it('is allowed for the same org, which keeps its data', async () => {
    expect((await h.call({ method: 'PUT', url: '/v1/tenants/t1', payload: ORG_A })).statusCode).toBe(201);
    const kept = await visible('t1');
    expect([kept.users.length, kept.runs.length, typeof kept.watermark]).toEqual([2, 1, 'string']);
    expect((await h.call({ method: 'DELETE', url: '/v1/tenants/t1' })).statusCode).toBe(204);
  });

  it('works for another org after DELETE ?purgeData=true, which shows none of the old data', async () => {
    expect((await h.call({ method: 'DELETE', url: '/v1/tenants/t1?purgeData=true' })).statusCode).toBe(204);
    // Nothing left to purge now: an unknown id again.
    expect((await h.call({ method: 'DELETE', url: '/v1/tenants/t1?purgeData=true' })).statusCode).toBe(404);
    expect((await h.call({ method: 'PUT', url: '/v1/tenants/t1', payload: ORG_B })).statusCode).toBe(201);
    expect(await visible('t1')).toEqual({ users: [], runs: [], watermark: undefined });
  });
});

describe('PUT on a registered tenant', () => {
  it('may fix the domain while the tenant has no data yet', async () => {
    expect((await h.call({ method: 'PUT', url: '/v1/tenants/t2', payload: tenantBody({ oktaDomain: 'typo-org.okta.com' }) })).statusCode).toBe(201);
    expect((await h.call({ method: 'PUT', url: '/v1/tenants/t2', payload: ORG_A })).statusCode).toBe(200);
  });

  it('may rotate to a new client in the same org once it has data', async () => {
    await syncedData('t2');
    const res = await h.call({ method: 'PUT', url: '/v1/tenants/t2', payload: { ...ORG_A, clientId: '0oaROTATED' } });
    expect(res.statusCode).toBe(200);
    expect((await visible('t2')).users).toHaveLength(2);
  });

  it('may not move to another domain once it has data', async () => {
    const res = await h.call({ method: 'PUT', url: '/v1/tenants/t2', payload: ORG_B });
    expect(res.statusCode).toBe(409);
    expect(json<{ error: { code: string } }>(res).error.code).toBe('tenant_org_changed');
    const stored = await h.store.getTenant(asTenantId('t2'));
    expect(stored?.oktaDomain).toBe('old-org.okta.com');
  });
});
