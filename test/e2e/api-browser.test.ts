import { type Browser, chromium, type Page, type Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHandle, startApi } from '../../src/producer/api/start-api.js';
import { readConfig } from '../../src/shared/config.js';
import { createLogger } from '../../src/shared/logger.js';
import { CHROMIUM_ARGS, chromiumFor } from '../helpers/browser.js';
import { createSandbox, type Sandbox } from '../helpers/fixtures.js';

/**
 * Bull Board and the API docs render in a real headless Chromium (Debian's `chromium` package).
 * Without it the file is skipped with one line saying so, unless OKTA_SYNC_REQUIRE_BROWSER=1 (set
 * by .ci/run), where a missing browser fails. OKTA_SYNC_CHROMIUM points at another binary.
 */
const CHROMIUM = chromiumFor('test/e2e/api-browser.test.ts');
const KEY = 'browser-test-key-0123456789abcdef';
const present = CHROMIUM !== undefined;

let box: Sandbox;
let api: ApiHandle;
let browser: Browser;

describe.skipIf(!present)('browser pages', () => {
  beforeAll(async () => {
    box = createSandbox('api-browser');
    const config = readConfig(box.env({ OKTA_SYNC_API_KEYS: KEY }));
    api = await startApi(config, { port: 0, host: '127.0.0.1', logger: createLogger({ level: 'silent' }) });
    browser = await chromium.launch({
      executablePath: CHROMIUM as string,
      args: CHROMIUM_ARGS,
    });
  });

  afterAll(async () => {
    await browser?.close();
    await api?.close();
    box?.cleanup();
  });

  it('Bull Board: refused without a key, rendered after ?key= with the sync queue listed', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const violations = cspViolations(page);
    const refused = await page.goto(`${api.url}/admin/queues`);
    expect(refused?.status()).toBe(401);
    await page.goto(`${api.url}/admin/queues?key=${KEY}`);
    const board = await page.waitForNavigation({ url: `${api.url}/admin/queues` });
    expectUiHeaders(board?.headers() ?? {});
    // The board is a React app fed by /admin/queues/api/*: the queue name only shows once it has rendered.
    await page.getByText('sync', { exact: true }).first().waitFor({ timeout: 15_000 });
    expect(await page.title()).toContain('okta-sync');
    expect(page.url()).not.toContain(KEY);
    const cookies = await page.context().cookies();
    expect(cookies.find((c) => c.name === 'okta_sync_session')).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    expect(errors).toEqual([]);
    expect(violations).toEqual([]);
    await page.close();
  });

  it('the docs page renders the OpenAPI operations', async () => {
    const page = await browser.newPage();
    const violations = cspViolations(page);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const responses: Response[] = [];
    page.on('response', (r) => responses.push(r));
    await page.goto(`${api.url}/docs?key=${KEY}`);
    await page.waitForURL(/\/docs/);
    await page.locator('.swagger-ui .info .title').first().waitFor({ timeout: 15_000 });
    expect(await page.locator('.swagger-ui .info .title').first().textContent()).toContain('okta-sync');
    await page.getByText('/v1/tenants/{tenantId}/syncs').first().waitFor({ timeout: 15_000 });
    expect(await page.locator('.opblock').count()).toBeGreaterThanOrEqual(10);
    const html = responses.find((r) => r.request().resourceType() === 'document' && r.status() === 200 && new URL(r.url()).pathname.startsWith('/docs'));
    expectUiHeaders(html?.headers() ?? {});
    expect(errors).toEqual([]);
    expect(violations).toEqual([]);
    await page.close();
  });
});

/**
 * Console messages in which Chromium reports a blocked resource or inline code (CSP). Bull Board's
 * Google Fonts stylesheet is blocked on purpose (no third-party requests from the admin pages; the
 * board falls back to system fonts), so that one is expected.
 */
function cspViolations(page: Page): string[] {
  const found: string[] = [];
  page.on('console', (m) => {
    const text = m.text();
    if (/Content Security Policy|Refused to/i.test(text) && !text.includes("'https://fonts.googleapis.com/")) found.push(text);
  });
  return found;
}

function expectUiHeaders(headers: Record<string, string>): void {
  expect(headers['x-frame-options']).toBe('DENY');
  expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
  expect(headers['content-security-policy']).toContain("script-src 'self'");
}
