import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type PrivateRedis, redisServerAvailable, startPrivateRedis } from '../../../src/cli/private-redis.js';
import { generateKeySpec, type Keyring, parseKeyring } from '../../../src/shared/crypto.js';
import { ConfigError, OktaSyncError } from '../../../src/shared/errors.js';
import { asTenantId } from '../../../src/shared/ids.js';
import { createLogger } from '../../../src/shared/logger.js';
import { credentialContext } from '../../../src/shared/okta/okta-credentials.js';
import { createRedis, type Redis } from '../../../src/shared/redis.js';
import type { TenantRecord } from '../../../src/shared/store/sync-store.js';
import { runStartupChecks } from '../../../src/workers/startup-checks.js';

/** The worker's startup checks against a real redis-server of their own (its policy is changed). */
const available = redisServerAvailable();
// These tests start (and restart) a private redis-server: without one on PATH they cannot run.
if (!available) console.warn(`[worker startup checks] skipped: no redis-server on PATH (apt-get install -y redis-server)`);
let server: PrivateRedis;
let redis: Redis;
const lines: string[] = [];
const logger = createLogger({
  level: 'info',
  destination: new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  }),
});

beforeAll(async () => {
  if (!available) return;
  server = await startPrivateRedis();
  redis = createRedis(server.url);
});

afterAll(async () => {
  redis?.disconnect();
  await server?.stop();
});

function tenant(keyring: Keyring, id: string, credential?: string): TenantRecord {
  const tenantId = asTenantId(id);
  return {
    tenantId,
    oktaDomain: 'acme.okta.com',
    auth: { method: 'client_secret', clientId: 'client', credential: credential ?? keyring.encrypt('secret', credentialContext(tenantId)), dpop: false },
    scopes: ['okta.users.read'],
    status: 'active',
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
  };
}

const storeOf = (tenants: TenantRecord[]) => ({ listTenants: async () => tenants });
const check = (keyring: Keyring, tenants: TenantRecord[] = [], r: Redis = redis, timeoutMs = 2_000) =>
  runStartupChecks({ redis: r, store: storeOf(tenants), keyring, logger }, { timeoutMs });

async function configError(promise: Promise<unknown>): Promise<ConfigError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

describe.skipIf(!available)(available ? 'worker startup checks' : 'worker startup checks (skipped: no redis-server on PATH)', () => {
  const keyring = parseKeyring(generateKeySpec('k1'));

  it('passes quietly on a noeviction Redis with a keyring that decrypts every stored credential', async () => {
    lines.length = 0;
    await check(keyring, [tenant(keyring, 'a'), tenant(keyring, 'b')]);
    expect(lines.join('')).not.toContain('MISCONFIGURED');
  });

  it('logs an error naming the policy when maxmemory-policy is not noeviction, and still starts', async () => {
    lines.length = 0;
    await redis.config('SET', 'maxmemory-policy', 'allkeys-lru');
    try {
      await check(keyring);
    } finally {
      await redis.config('SET', 'maxmemory-policy', 'noeviction');
    }
    const logged = lines.map((l) => JSON.parse(l) as { level: number; msg: string; maxmemoryPolicy?: string });
    const alarm = logged.find((l) => l.msg.includes('REDIS MISCONFIGURED'));
    expect(alarm?.level).toBe(50);
    expect(alarm?.maxmemoryPolicy).toBe('allkeys-lru');
    expect(alarm?.msg).toContain('noeviction');
  });

  it('fails naming REDIS_URL when Redis does not answer', async () => {
    const nobody = createRedis(`redis://127.0.0.1:${await freePort()}`, { retryStrategy: () => 200 });
    nobody.on('error', () => undefined);
    try {
      const error = await check(keyring, [], nobody, 500).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OktaSyncError);
      expect((error as OktaSyncError).code).toBe('redis_unreachable');
      expect((error as Error).message).toContain('REDIS_URL');
    } finally {
      nobody.disconnect();
    }
  });

  it('fails naming STORE_URL when the store cannot list tenants', async () => {
    const broken = { listTenants: async (): Promise<TenantRecord[]> => Promise.reject(new Error('SQLITE_CANTOPEN')) };
    const error = await runStartupChecks({ redis, store: broken, keyring, logger }).catch((e: unknown) => e);
    expect((error as OktaSyncError).code).toBe('store_unreachable');
    expect((error as Error).message).toMatch(/^STORE_URL: .*SQLITE_CANTOPEN/);
  });

  it('fails naming OKTA_SYNC_ENCRYPTION_KEYS when a key id that encrypted credentials is missing', async () => {
    const old = parseKeyring(generateKeySpec('old'));
    const error = await configError(check(keyring, [tenant(keyring, 'a'), tenant(old, 'b'), tenant(old, 'c')]));
    expect(error.variable).toBe('OKTA_SYNC_ENCRYPTION_KEYS');
    expect(error.message).toContain('"old"');
    expect(error.message).toContain('2 tenant(s)');
  });

  it('fails when a key id is present but its key material is not the one that encrypted', async () => {
    const impostor = parseKeyring(generateKeySpec('k1'));
    const error = await configError(check(impostor, [tenant(keyring, 'a')]));
    expect(error.message).toContain('does not decrypt');
  });

  it('does not stop the fleet for one corrupt credential when others under the same key decrypt', async () => {
    const corrupt = tenant(keyring, 'bad', keyring.encrypt('secret', credentialContext(asTenantId('someone-else'))));
    await check(keyring, [corrupt, tenant(keyring, 'good')]);
  });
});
