import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { type OktaSim, type OktaSimOptions, startOktaSim } from '../../../src/okta-sim/index.js';
import { putTenant } from '../../../src/producer/tenant-service.js';
import { generateKeySpec, type Keyring, parseKeyring } from '../../../src/shared/crypto.js';
import type { TenantId } from '../../../src/shared/ids.js';
import { createOktaHttp, type OktaHttp } from '../../../src/shared/okta/okta-http.js';
import { createRedis, type Redis } from '../../../src/shared/redis.js';
import { SqliteStore } from '../../../src/shared/store/sqlite-store.js';

/**
 * What the in-process worker tests share: the simulator over HTTP, the suite's Redis, an Okta
 * HTTP client, a fresh SQLite store and a keyring; `addTenant` registers one of the simulator's orgs.
 */
export interface WorkerFixture {
  sim: OktaSim;
  redis: Redis;
  http: OktaHttp;
  store: SqliteStore;
  keyring: Keyring;
  policy: { allowInsecureLoopback: boolean; customDomains: string[] };
  addTenant(tenantId: TenantId, orgIndex: number): Promise<void>;
  close(): Promise<void>;
}

export async function startWorkerFixture(name: string, simOptions: OktaSimOptions): Promise<WorkerFixture> {
  const sim = await startOktaSim(simOptions);
  const redis = createRedis(inject('redisUrl'));
  const http = createOktaHttp();
  const dir = mkdtempSync(join(tmpdir(), `okta-sync-${name}-`));
  const store = new SqliteStore(join(dir, 'store.db'));
  const keyring = parseKeyring(generateKeySpec('t'));
  const policy = { allowInsecureLoopback: true, customDomains: [] };
  return {
    sim,
    redis,
    http,
    store,
    keyring,
    policy,
    async addTenant(tenantId, orgIndex) {
      const org = sim.orgs[orgIndex]!;
      await putTenant({ store, keyring, domainPolicy: policy }, { tenantId, oktaDomain: org.domain, clientId: org.clientId, clientSecret: org.clientSecret });
    },
    async close() {
      await store.close();
      await http.close();
      await redis.quit();
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
