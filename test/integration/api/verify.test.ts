import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OktaSim, startOktaSim } from '../../../src/okta-sim/index.js';
import { generateKeySpec, parseKeyring } from '../../../src/shared/crypto.js';
import { eventHookSecretContext } from '../../../src/producer/event-hooks/event-hook-secret.js';
import { asTenantId } from '../../../src/shared/ids.js';
import { runCli } from '../../helpers/processes.js';
import { type ApiHarness, json, startHarness } from './api-harness.js';

let h: ApiHarness;
let sim: OktaSim;

type Report = {
  ok: boolean;
  status: string;
  grantedScopes: string[];
  resources: Record<string, { readable: boolean; scope: string; note?: string }>;
  error?: { code: string; message: string };
};

beforeAll(async () => {
  [h, sim] = await Promise.all([startHarness('api-verify'), startOktaSim({ orgs: 2, users: 5, groups: 3, apps: 2, logs: 5, rateLimits: 'unlimited' })]);
});

afterAll(async () => {
  await h?.close();
  await sim?.close();
});

async function register(tenantId: string, body: Record<string, unknown>) {
  const res = await h.call({ method: 'PUT', url: `/v1/tenants/${tenantId}`, payload: body });
  expect(res.statusCode).toBeLessThan(300);
}

async function verify(tenantId: string): Promise<Report> {
  const res = await h.call({ method: 'POST', url: `/v1/tenants/${tenantId}/verify` });
  expect(res.statusCode).toBe(200);
  return json<Report>(res);
}

describe('POST /v1/tenants/{id}/verify against the simulator', () => {
  it('good client secret: granted scopes and every resource readable', async () => {
    const org = sim.orgs[0]!;
    await register('good', { oktaDomain: org.domain, clientId: org.clientId, clientSecret: org.clientSecret });
    const report = await verify('good');
    expect(report.ok).toBe(true);
    expect(report.status).toBe('active');
    expect(report.grantedScopes).toEqual(['okta.apps.read', 'okta.groups.read', 'okta.logs.read', 'okta.users.read']);
    for (const resource of ['users', 'groups', 'memberships', 'apps', 'logs']) expect(report.resources[resource]?.readable, resource).toBe(true);
    expect(report.resources.users?.note).toBeUndefined();
    expect(JSON.stringify(report)).not.toMatch(/access_token|eyJ/);
  });

  it('private_key_jwt works the same', async () => {
    const org = sim.orgs[0]!;
    await register('pkey', { oktaDomain: org.domain, clientId: org.privateKeyClientId, privateKeyPem: org.privateKeyPem, keyId: org.keyId });
    const report = await verify('pkey');
    expect(report.ok).toBe(true);
  });

  it('a wrong secret: a clear error, the tenant marked credentials_invalid, and new credentials make it active again', async () => {
    const org = sim.orgs[0]!;
    await register('badsecret', { oktaDomain: org.domain, clientId: org.clientId, clientSecret: 'not-the-secret' });
    const report = await verify('badsecret');
    expect(report.ok).toBe(false);
    expect(report.error).toEqual({ code: 'okta_invalid_client', message: expect.stringMatching(/rejected the client credentials/) });
    expect(report.status).toBe('credentials_invalid');
    expect(report.grantedScopes).toEqual([]);
    expect((await h.store.getTenant(asTenantId('badsecret')))?.status).toBe('credentials_invalid');
    const sync = await h.call({ method: 'POST', url: '/v1/tenants/badsecret/syncs', payload: { resources: ['users'] } });
    expect(sync.statusCode).toBe(409);
    await register('badsecret', { oktaDomain: org.domain, clientId: org.clientId, clientSecret: org.clientSecret });
    expect((await verify('badsecret')).ok).toBe(true);
  });

  it('scopes the org did not grant are named, the others still checked', async () => {
    const org = sim.orgs[1]!;
    const set = await fetch(`${org.baseUrl}/__sim/clients`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ clientId: org.clientId, grantedScopes: ['okta.users.read', 'okta.groups.read'] }),
    });
    expect(set.status).toBe(200);
    await register('partial', { oktaDomain: org.domain, clientId: org.clientId, clientSecret: org.clientSecret });
    const report = await verify('partial');
    expect(report.ok).toBe(false);
    expect(report.grantedScopes).toEqual(['okta.groups.read', 'okta.users.read']);
    expect(report.resources.users?.readable).toBe(true);
    expect(report.resources.apps).toEqual({ readable: false, scope: 'okta.apps.read', note: 'the org did not grant okta.apps.read to the integration' });
    expect(report.resources.logs?.readable).toBe(false);
  });

  it('zero users returned is surfaced as a likely missing admin role', async () => {
    const empty = await startOktaSim({ orgs: 1, users: 0, groups: 1, apps: 1, logs: 0, rateLimits: 'unlimited' });
    try {
      const org = empty.orgs[0]!;
      await register('norole', { oktaDomain: org.domain, clientId: org.clientId, clientSecret: org.clientSecret, scopes: ['okta.users.read'] });
      const report = await verify('norole');
      expect(report.resources.users).toEqual({ readable: true, scope: 'okta.users.read', note: '0 users returned: no admin role assigned to the integration?' });
      expect(report.resources.apps).toMatchObject({ readable: false, note: 'okta.apps.read is not among the tenant\'s scopes' });
      expect(report.ok).toBe(true);
    } finally {
      await empty.close();
    }
  });

  it('an unreachable org is reported, not thrown', async () => {
    await register('down', { oktaDomain: '127.0.0.1:1', clientId: 'abc', clientSecret: 'x' });
    const report = await verify('down');
    expect(report.ok).toBe(false);
    expect(report.error?.code).toBe('okta_network');
    expect(report.status).toBe('active');
  });

  it('404 for an unknown tenant', async () => {
    expect((await h.call({ method: 'POST', url: '/v1/tenants/ghost/verify' })).statusCode).toBe(404);
  });
});

describe('CLI: tenant verify and keys rotate', () => {
  it('tenant verify prints the report and exits 0 / 1', async () => {
    const env = h.box.env();
    const org = sim.orgs[0]!;
    await register('bad2', { oktaDomain: org.domain, clientId: org.clientId, clientSecret: 'wrong' });
    const [good, bad, ghost] = await Promise.all([
      runCli(['tenant', 'verify', 'good'], env),
      runCli(['tenant', 'verify', 'bad2'], env),
      runCli(['tenant', 'verify', 'ghost'], env),
    ]);
    expect(good.stderr).toBe('');
    expect(good.code).toBe(0);
    expect(JSON.parse(good.stdout)).toMatchObject({ tenantId: 'good', ok: true });
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({ ok: false, error: { code: 'okta_invalid_client' } });
    expect([ghost.code, ghost.stderr.trim()]).toEqual([1, 'okta-sync: tenant ghost not found']);
  });

  it('keys rotate re-encrypts every credential under the new first key, idempotently', async () => {
    const newKey = generateKeySpec('k2');
    const env = h.box.env({ OKTA_SYNC_ENCRYPTION_KEYS: `${newKey},${h.box.encryptionKeys}` });
    const tenants = await h.store.listTenants();
    expect(tenants.every((t) => t.auth.credential.startsWith('v1.test.'))).toBe(true);
    const webhook = { url: 'https://hooks.example.com/x', secret: 'whsec-rotate-0123456789', events: ['run.finished'] };
    expect((await h.call({ method: 'PUT', url: '/v1/tenants/good/webhook', payload: webhook })).statusCode).toBe(201);
    const hookSecret = 'okhs_rotate-0123456789';
    const at = new Date().toISOString();
    await h.store.putEventHook({
      tenantId: asTenantId('good'), oktaHookId: 'who1', uri: 'https://sync.example.com/v1/hooks/okta/good', events: ['user.lifecycle.create'],
      secret: h.keyring.encrypt(hookSecret, eventHookSecretContext(asTenantId('good'))), status: 'installed', createdAt: at, updatedAt: at,
    });
    const first = await runCli(['keys', 'rotate'], env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({ primaryKid: 'k2', tenants: tenants.length, reencrypted: tenants.length, failed: [], webhookSecrets: 1, eventHookSecrets: 1 });
    const second = await runCli(['keys', 'rotate'], env);
    expect(JSON.parse(second.stdout)).toMatchObject({ reencrypted: 0, webhookSecrets: 0, eventHookSecrets: 0 });
    const hook = await h.store.getEventHook(asTenantId('good'));
    expect(hook?.secret).toMatch(/^v1\.k2\./);
    expect(parseKeyring(newKey).decrypt(hook?.secret ?? '', eventHookSecretContext(asTenantId('good')))).toBe(hookSecret);
    expect((await h.store.getWebhook(asTenantId('good')))?.secret).toMatch(/^v1\.k2\./);
    expect((await h.store.listTenants()).every((t) => t.auth.credential.startsWith('v1.k2.'))).toBe(true);
    // The old key can go: verify still works with only the new one.
    const verified = await runCli(['tenant', 'verify', 'good'], h.box.env({ OKTA_SYNC_ENCRYPTION_KEYS: newKey }));
    expect(verified.code).toBe(0);
  });
});
