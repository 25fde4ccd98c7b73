import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asTenantId } from '../../../src/shared/ids.js';
import { webhookSecretContext } from '../../../src/shared/webhooks/webhook-secret.js';
import { type ApiHarness, json, startHarness, tenantBody } from './api-harness.js';

let h: ApiHarness;
let strict: ApiHarness;
const SECRET = 'whsec-api-7c1e0b9d2f4a8e63';
const hook = (overrides: Record<string, unknown> = {}) => ({ url: 'https://hooks.example.com/okta-sync?token=abc', secret: SECRET, events: ['run.finished'], ...overrides });

beforeAll(async () => {
  [h, strict] = await Promise.all([startHarness('api-webhooks'), startHarness('api-webhooks-strict', { env: { OKTA_SYNC_ALLOW_INSECURE_LOOPBACK: 'false', OKTA_SYNC_WEBHOOK_ALLOW: '10.20.0.0/16' } })]);
  for (const api of [h, strict]) expect((await api.call({ method: 'PUT', url: '/v1/tenants/acme', payload: tenantBody() })).statusCode).toBe(201);
});

afterAll(async () => {
  await Promise.all([h?.close(), strict?.close()]);
});

describe('PUT/GET/DELETE /v1/tenants/{id}/webhook', () => {
  it('creates, replaces, shows and removes the webhook; the secret is stored encrypted and never returned', async () => {
    const created = await h.call({ method: 'PUT', url: '/v1/tenants/acme/webhook', payload: hook() });
    expect(created.statusCode).toBe(201);
    expect(json(created)).toMatchObject({ tenantId: 'acme', url: 'https://hooks.example.com/okta-sync?token=abc', events: ['run.finished'] });
    expect(json(created)).not.toHaveProperty('secret');
    const replaced = await h.call({ method: 'PUT', url: '/v1/tenants/acme/webhook', payload: hook({ events: ['objects.changed', 'run.finished'] }) });
    expect(replaced.statusCode).toBe(200);
    const got = await h.call({ method: 'GET', url: '/v1/tenants/acme/webhook' });
    expect(json(got)).toMatchObject({ events: ['objects.changed', 'run.finished'], createdAt: json(created).createdAt });
    const stored = await h.store.getWebhook(asTenantId('acme'));
    expect(stored?.secret).not.toContain(SECRET);
    expect(h.keyring.decrypt(stored?.secret ?? '', webhookSecretContext(asTenantId('acme')))).toBe(SECRET);
    expect(() => h.keyring.decrypt(stored?.secret ?? '', webhookSecretContext(asTenantId('other')))).toThrow();

    expect((await h.call({ method: 'DELETE', url: '/v1/tenants/acme/webhook' })).statusCode).toBe(204);
    expect((await h.call({ method: 'GET', url: '/v1/tenants/acme/webhook' })).statusCode).toBe(404);
    expect((await h.call({ method: 'DELETE', url: '/v1/tenants/acme/webhook' })).statusCode).toBe(404);
    expect((await h.call({ method: 'PUT', url: '/v1/tenants/nobody/webhook', payload: hook() })).statusCode).toBe(404);
  });

  it.each([
    ['url', hook({ url: 'http://hooks.example.com/x' })],
    ['url', hook({ url: 'https://10.0.0.1/x' })],
    ['url', hook({ url: 'https://169.254.169.254/latest' })],
    ['url', hook({ url: 'https://[fd00::1]/x' })],
    ['url', hook({ url: 'https://localhost/x' })],
    ['url', hook({ url: 'http://127.0.0.1:8080/x' })],
    ['url', hook({ url: 'not a url' })],
    ['secret', hook({ secret: 'short' })],
    ['secret', hook({ secret: undefined })],
    ['events.0', hook({ events: ['run.started'] })],
    ['events', hook({ events: [] })],
    ['events', hook({ events: ['run.finished', 'run.finished'] })],
    ['extra', { ...hook(), extra: 1 }],
  ])('refuses a bad %s with 400 naming it (strict deployment)', async (field, payload) => {
    const res = await strict.call({ method: 'PUT', url: '/v1/tenants/acme/webhook', payload });
    expect(res.statusCode).toBe(400);
    expect(Object.keys(json<{ error: { fields: Record<string, string> } }>(res).error.fields)).toContain(field);
  });

  it('accepts a private address listed in OKTA_SYNC_WEBHOOK_ALLOW, and loopback http only with the insecure flag', async () => {
    expect((await strict.call({ method: 'PUT', url: '/v1/tenants/acme/webhook', payload: hook({ url: 'https://10.20.3.4/x' }) })).statusCode).toBeLessThan(300);
    expect((await h.call({ method: 'PUT', url: '/v1/tenants/acme/webhook', payload: hook({ url: 'http://127.0.0.1:8080/x' }) })).statusCode).toBeLessThan(300);
  });

  it('removing the tenant removes its webhook; the secret is in no log line or response; the route is documented', async () => {
    expect((await h.call({ method: 'DELETE', url: '/v1/tenants/acme' })).statusCode).toBe(204);
    expect(await h.store.getWebhook(asTenantId('acme'))).toBeUndefined();
    const doc = json<{ paths: Record<string, Record<string, unknown>> }>(await h.call({ method: 'GET', url: '/openapi.json' }));
    expect(Object.keys(doc.paths['/v1/tenants/{tenantId}/webhook'] ?? {}).sort()).toEqual(['delete', 'get', 'put']);
    const everything = [...h.logs, ...h.responses, ...strict.logs, ...strict.responses].join('\n');
    expect(everything).toContain('webhook set');
    expect(everything).not.toContain(SECRET);
  });
});
