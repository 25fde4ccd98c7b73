import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OktaSim, startOktaSim } from '../../src/okta-sim/index.js';
import { type ApiHandle, startApi } from '../../src/producer/api/start-api.js';
import { readConfig } from '../../src/shared/config.js';
import { createLogger } from '../../src/shared/logger.js';
import { CHROMIUM_ARGS, chromiumFor } from '../helpers/browser.js';
import { createSandbox, type Sandbox } from '../helpers/fixtures.js';
import { startCliProcess, stopProcess } from '../helpers/processes.js';
import { scenario } from '../helpers/sync-scenario.js';
import { alive, ids, storedObjects, syncAndWait, truthOf } from './sync-harness.js';

/**
 * Issue 19 in a real headless Chromium (Debian's `chromium`): a customer opens a connect link,
 * gets the secret wrong, then right, sees the verified scopes; the link is dead afterwards; a
 * full sync of the tenant onboarded this way, by a real worker process, equals the simulator's org.
 */
const CHROMIUM = chromiumFor('test/e2e/connect-browser.test.ts');
const KEY = 'browser-connect-key-0123456789abcdef';
const HAVE_CHROMIUM = CHROMIUM !== undefined;

let box: Sandbox;
let api: ApiHandle;
let sim: OktaSim;
let browser: Browser;
let shots: string;

beforeAll(async () => {
  box = createSandbox('connect-browser');
  shots = join(box.dir, 'screenshots');
  mkdirSync(shots);
  sim = await startOktaSim({ orgs: 1, users: 300, groups: 12, apps: 3, logs: 50, seed: 19, rateLimits: 'unlimited' });
  api = await startApi(readConfig(box.env({ OKTA_SYNC_API_KEYS: KEY })), { port: 0, host: '127.0.0.1', logger: createLogger({ level: 'silent' }) });
  if (!HAVE_CHROMIUM) return;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await api?.close();
  await sim?.close();
  box?.cleanup();
});

async function apiCall(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${api.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** What a person sees (rendered text, hidden elements left out), which is what the test asserts. */
function visibleText(locator: Locator): Promise<string> {
  // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is the point here
  return locator.innerText();
}

async function shot(page: Page, name: string): Promise<void> {
  const path = join(shots, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  expect(existsSync(path)).toBe(true);
}

const tenantId = 'browser-co';

/** Without a browser, the sync below still needs a tenant onboarded through the page: the same form over plain HTTP. */
async function connectOverHttp(): Promise<void> {
  const org = sim.orgs[0]!;
  const url = String((await apiCall('POST', `/v1/tenants/${tenantId}/connect-links`, {})).json.url);
  const formToken = /name="formToken" value="([^"]+)"/.exec(await (await fetch(url)).text())?.[1] ?? '';
  const body = new URLSearchParams({ formToken, oktaDomain: org.domain, clientId: org.clientId, clientSecret: org.clientSecret });
  const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  expect(res.status).toBe(200);
}

describe.skipIf(!HAVE_CHROMIUM)('connect page in a browser', () => {
  it('wrong secret, then the right one: verified scopes, the tenant stored without its secret, the link dead after', async () => {
    const org = sim.orgs[0]!;
    const link = await apiCall('POST', `/v1/tenants/${tenantId}/connect-links`, {});
    expect(link.status).toBe(201);
    const url = String(link.json.url);
    expect(url.startsWith(`${api.url}/connect/`)).toBe(true);

    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      // Non-2xx answers (422 on the wrong secret) are logged by Chromium and expected; CSP violations are not.
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource: the server responded with a status of')) errors.push(m.text());
    });
    expect((await page.goto(url))?.status()).toBe(200);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Connect your Okta org');
    expect(await visibleText(page.locator('main'))).toContain('okta.users.read: users');
    await shot(page, '1-form');
    // A second tab holds the same form, to submit after the link was used.
    const stale = await browser.newPage();
    await stale.goto(url);

    await page.getByLabel('Okta domain').fill(org.domain);
    await page.getByLabel('Client ID').fill(org.clientId);
    await page.getByLabel('Client secret').fill('wrong-secret-in-browser');
    await Promise.all([page.waitForURL(url), page.getByRole('button', { name: 'Verify and connect' }).click()]);
    const alert = page.getByRole('alert');
    expect(await visibleText(alert)).toMatch(/Not connected\. Okta refused the client ID and client secret/);
    expect(await page.getByLabel('Okta domain').inputValue()).toBe(org.domain);
    expect(await page.getByLabel('Client ID').inputValue()).toBe(org.clientId);
    expect(await page.getByLabel('Client secret').inputValue()).toBe('');
    expect(await page.content()).not.toContain('wrong-secret-in-browser');
    await shot(page, '2-wrong-secret');
    expect((await apiCall('GET', `/v1/tenants/${tenantId}`)).status).toBe(404);

    await page.getByLabel('Client secret').fill(org.clientSecret);
    await Promise.all([page.waitForURL(url), page.getByRole('button', { name: 'Verify and connect' }).click()]);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Okta org connected');
    const result = await visibleText(page.locator('main'));
    expect(result).toContain('everything was verified');
    for (const scope of ['okta.apps.read', 'okta.groups.read', 'okta.logs.read', 'okta.users.read']) expect(result).toContain(`${scope} granted`);
    expect(result).toContain('Users: readable');
    expect(result).not.toContain(org.clientSecret);
    await shot(page, '3-connected');

    const tenant = await apiCall('GET', `/v1/tenants/${tenantId}`);
    expect(tenant.status).toBe(200);
    expect(tenant.json).toMatchObject({ tenantId, oktaDomain: org.domain, status: 'active', auth: { clientId: org.clientId, method: 'client_secret' } });
    expect(JSON.stringify(tenant.json)).not.toContain(org.clientSecret);
    expect(tenant.json.auth).not.toHaveProperty('credential');

    await stale.getByLabel('Okta domain').fill(org.domain);
    await stale.getByLabel('Client ID').fill(org.clientId);
    await stale.getByLabel('Client secret').fill(org.clientSecret);
    const [second] = await Promise.all([stale.waitForResponse((r) => r.url() === url && r.request().method() === 'POST'), stale.getByRole('button', { name: 'Verify and connect' }).click()]);
    expect(second.status()).toBe(410);
    await stale.waitForLoadState();
    expect(await stale.getByRole('heading', { level: 1 }).textContent()).toBe('Link already used');
    expect(await visibleText(stale.locator('main'))).toContain('has already been used');
    await shot(stale, '4-used');
    expect(errors, errors.join('\n')).toEqual([]);
    process.stderr.write(`[connect-browser] screenshots in ${shots}\n`);
    await Promise.all([page.close(), stale.close()]);
  });

});

describe('a tenant onboarded through the connect page', () => {
  it('a full sync by a real worker equals the simulator org', async () => {
    if ((await apiCall('GET', `/v1/tenants/${tenantId}`)).status === 404) await connectOverHttp();
    const worker = startCliProcess(['worker', '--concurrency', '6'], box.env());
    try {
      await syncAndWait(box, tenantId, ['users', 'groups', 'memberships', 'apps', 'logs']);
    } finally {
      await stopProcess(worker);
    }
    const truth = await truthOf(sim, 0);
    await scenario(sim, box).expectExactUsers(tenantId, 0);
    expect(ids(alive(await storedObjects(box, tenantId, 'group')))).toEqual(truth.groups.map((g) => g.id).sort());
    expect(ids(alive(await storedObjects(box, tenantId, 'membership')))).toEqual(truth.memberships);
    expect(ids(alive(await storedObjects(box, tenantId, 'app')))).toEqual(truth.apps.map((a) => a.id).sort());
    expect(ids(alive(await storedObjects(box, tenantId, 'app_user')))).toEqual(truth.appUsers);
    expect(ids(await storedObjects(box, tenantId, 'log_event'))).toEqual(truth.logEvents.map((e) => e.uuid).sort());
  }, 180_000);
});
