import type { Keyring } from '../shared/crypto.js';
import { ConfigError, OktaSyncError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { credentialContext } from '../shared/okta/okta-credentials.js';
import { evictionPolicyProblem, type Redis, redisVariable } from '../shared/redis.js';
import type { SyncStore } from '../shared/store/sync-store.js';

/** What the startup checks need from the worker's resources. */
export interface StartupCheckDeps {
  redis: Redis;
  store: Pick<SyncStore, 'listTenants'>;
  keyring: Keyring;
  logger: Logger;
}

export interface StartupCheckOptions {
  /** How long the store may take to answer, default 15000 ms. */
  timeoutMs?: number;
  /** How long Redis may take to answer, default the smaller of timeoutMs and 3000 ms (a command gives up within 10 s). */
  redisTimeoutMs?: number;
  /** Stored credentials tried per key id before the key is declared wrong, default 3. */
  samplesPerKey?: number;
}

/**
 * Checks a worker makes before it takes jobs, so that a misconfigured replica fails at once with
 * one line instead of failing every job:
 * - Redis answers, and its `maxmemory-policy` is `noeviction` (otherwise BullMQ can silently
 *   lose jobs under memory pressure; that is logged loudly, not fatal: managed Redis may be fixed
 *   later and CONFIG may be refused);
 * - the store answers;
 * - the keyring decrypts the stored credentials: every key id that encrypted a tenant credential
 *   is present, and the key under that id really decrypts (`ConfigError` naming
 *   OKTA_SYNC_ENCRYPTION_KEYS, exit 2).
 */
export async function runStartupChecks(deps: StartupCheckDeps, options: StartupCheckOptions = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const redisMs = options.redisTimeoutMs ?? Math.min(timeoutMs, 3_000);
  await withTimeout(deps.redis.ping(), redisMs, () => new OktaSyncError('redis_unreachable', `${redisVariable(deps.redis)}: Redis did not answer within ${redisMs} ms`));
  const policy = await evictionPolicyProblem(deps.redis);
  if (policy !== undefined) {
    deps.logger.error(
      { maxmemoryPolicy: policy },
      `REDIS MISCONFIGURED: maxmemory-policy is "${policy}"; BullMQ needs "noeviction" or queued jobs can be evicted (lost runs). Set maxmemory-policy noeviction on this Redis.`,
    );
  }
  const tenants = await withTimeout(deps.store.listTenants(), timeoutMs, () => new OktaSyncError('store_unreachable', `STORE_URL: the store did not answer within ${timeoutMs} ms`)).catch(
    (error: unknown) => {
      if (error instanceof OktaSyncError && error.code === 'store_unreachable') throw error;
      throw new OktaSyncError('store_unreachable', `STORE_URL: the store is not usable: ${(error as Error).message}`, { cause: error });
    },
  );
  checkKeyring(deps.keyring, tenants, options.samplesPerKey ?? 3);
}

type TenantSample = Awaited<ReturnType<SyncStore['listTenants']>>[number];

function checkKeyring(keyring: Keyring, tenants: TenantSample[], samplesPerKey: number): void {
  const byKid = new Map<string, TenantSample[]>();
  for (const tenant of tenants) {
    const kid = keyring.kidOf(tenant.auth.credential);
    const list = byKid.get(kid) ?? [];
    list.push(tenant);
    byKid.set(kid, list);
  }
  for (const [kid, users] of byKid) {
    if (!keyring.kids.includes(kid)) {
      throw new ConfigError(
        'OKTA_SYNC_ENCRYPTION_KEYS',
        `has no key "${kid}", which encrypted the credentials of ${users.length} tenant(s) (e.g. ${users[0]?.tenantId}); keep it after the new key until \`okta-sync keys rotate\` has run`,
      );
    }
    // One corrupt record must not stop the fleet: the key is wrong only if no sample decrypts.
    const samples = users.slice(0, samplesPerKey);
    const decrypts = samples.some((t) => {
      try {
        keyring.decrypt(t.auth.credential, credentialContext(t.tenantId));
        return true;
      } catch {
        return false;
      }
    });
    if (!decrypts) {
      throw new ConfigError('OKTA_SYNC_ENCRYPTION_KEYS', `key "${kid}" does not decrypt the stored credentials (tried ${samples.length} tenant(s)): wrong key material for that id`);
    }
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
