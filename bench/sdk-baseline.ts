import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import okta from '@okta/okta-sdk-nodejs';
import { asRunId, asTenantId } from '../src/shared/ids.js';
import { openStore } from '../src/shared/store/open-store.js';
import type { ObjectWrite } from '../src/shared/store/sync-store.js';
import type { SimOrgJson } from './e2e-harness.js';

/**
 * The throughput baseline: what one writes with the official Okta Node SDK
 * (`@okta/okta-sdk-nodejs` 8). One process; every org at once (Promise.all), each listed with
 * `userApi.listUsers` one page of 200 at a time (the SDK's Collection fetches the next page when
 * the current one is consumed), authenticated with private_key_jwt, each page written to the same
 * SQLite store adapter through the same `commitPage`, and a closing sweep, as okta-sync does.
 *
 * The SDK accepts `orgUrl: http://127.0.0.1:PORT` as is: version 8 no longer checks for https or
 * the org URL's shape, and signs its client assertion for `${orgUrl}/oauth2/v1/token`, which is
 * the audience the simulator verifies. No option was needed.
 */
export interface BaselineResult {
  objects: number;
  seconds: number;
}

/** Same listing as okta-sync's full users sync (a plain list would omit DEPROVISIONED users). */
const SEARCH_ALL = 'lastUpdated gt "1970-01-01T00:00:00.000Z"';
const PAGE = 200;

export async function syncWithSdk(orgs: SimOrgJson[], storeUrl: string): Promise<BaselineResult> {
  const store = await openStore(storeUrl);
  try {
    const started = performance.now();
    const counts = await Promise.all(orgs.map((org, i) => syncOrg(store, org, `sdk${i}`)));
    return { objects: counts.reduce((a, b) => a + b, 0), seconds: (performance.now() - started) / 1000 };
  } finally {
    await store.close();
  }
}

async function syncOrg(store: Awaited<ReturnType<typeof openStore>>, org: SimOrgJson, id: string): Promise<number> {
  const client = new okta.Client({
    orgUrl: org.baseUrl,
    authorizationMode: 'PrivateKey',
    clientId: org.privateKeyClientId,
    scopes: ['okta.users.read'],
    privateKey: org.privateKeyPem,
    keyId: org.keyId,
  });
  const tenantId = asTenantId(id);
  const runId = asRunId(`${id}-run`);
  const users = await client.userApi.listUsers({ search: SEARCH_ALL, limit: PAGE });
  let batch: ObjectWrite[] = [];
  let page = 0;
  let total = 0;
  const flush = async () => {
    await store.commitPage({ tenantId, runId, type: 'user', pageKey: `p${page++}`, objects: batch, at: new Date().toISOString() });
    total += batch.length;
    batch = [];
  };
  for await (const user of users) {
    if (!user) continue;
    batch.push({ oktaId: user.id ?? '', data: user, oktaLastUpdated: user.lastUpdated ? new Date(user.lastUpdated).toISOString() : null });
    if (batch.length === PAGE) await flush();
  }
  if (batch.length > 0) await flush();
  await store.sweep({ tenantId, type: 'user', runId, at: new Date().toISOString() });
  return total;
}

/** Runs the baseline in a fresh Node process of its own, as the okta-sync workers are. */
export function syncWithSdkInChild(orgs: SimOrgJson[], storeUrl: string): Promise<BaselineResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child'], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`SDK baseline exited ${code}`));
      try {
        resolve(JSON.parse(out) as BaselineResult);
      } catch (error) {
        reject(error);
      }
    });
    child.stdin.end(JSON.stringify({ orgs, storeUrl }));
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv.includes('--child')) {
  let input = '';
  for await (const chunk of process.stdin) input += String(chunk);
  const { orgs, storeUrl } = JSON.parse(input) as { orgs: SimOrgJson[]; storeUrl: string };
  process.stdout.write(JSON.stringify(await syncWithSdk(orgs, storeUrl)));
}
