import { openWebhookQueue } from '../../../src/shared/webhooks/webhook-queue.js';
import { Writable } from 'node:stream';
import type { Queue } from 'bullmq';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { type Config, readConfig } from '../../../src/shared/config.js';
import { type Keyring, parseKeyring } from '../../../src/shared/crypto.js';
import { createLogger } from '../../../src/shared/logger.js';
import { createOktaHttp, type OktaHttp } from '../../../src/shared/okta/okta-http.js';
import { openSyncQueues, type ShardedQueues } from '../../../src/shared/sharded-queues.js';
import { createRedis, keyPrefix, type Redis } from '../../../src/shared/redis.js';
import { openStore } from '../../../src/shared/store/open-store.js';
import type { SyncStore } from '../../../src/shared/store/sync-store.js';
import type { ApiDeps } from '../../../src/producer/api/api-deps.js';
import { type AuthThrottle, createAuthThrottle } from '../../../src/producer/api/auth-throttle.js';
import { buildApi } from '../../../src/producer/api/build-api.js';
import { deleteByPattern } from '../../../src/producer/remove-tenant.js';
import { createSandbox, type Sandbox } from '../../helpers/fixtures.js';

export const KEY = 'test-key-0123456789abcdef01234567';
export const KEY2 = 'second-key-fedcba9876543210abcdef';

/** An API built in-process on real Redis and SQLite, with every log line captured. */
export interface ApiHarness {
  box: Sandbox;
  config: Config;
  app: FastifyInstance;
  store: SyncStore;
  /** Shard 0's queue: the only one unless the test sets OKTA_SYNC_QUEUE_SHARDS. */
  queue: Queue;
  queues: ShardedQueues;
  redis: Redis;
  keyring: Keyring;
  /** Every log line the API wrote (pino JSON, debug level and up). */
  logs: string[];
  /** Every response body and header block `call` saw. */
  responses: string[];
  /** `app.inject` with the bearer key unless `key: null` (or another key) is given. */
  call(options: InjectOptions & { key?: string | null }): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export async function startHarness(
  name: string,
  options: { env?: Record<string, string>; oktaHttp?: OktaHttp; onTenantConnected?: ApiDeps['onTenantConnected']; authThrottle?: AuthThrottle; hookMetrics?: ApiDeps['hookMetrics'] } = {},
): Promise<ApiHarness> {
  const box = createSandbox(name);
  const config = readConfig(box.env({ OKTA_SYNC_API_KEYS: `${KEY}, ${KEY2}`, ...options.env }));
  const logs: string[] = [];
  const responses: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString('utf8'));
      done();
    },
  });
  const logger = createLogger({ level: 'debug', name: 'api', destination });
  const store = await openStore(config.storeUrl);
  const redis = createRedis(config.redisUrl);
  const queues = openSyncQueues(redis, config.queuePrefix, config.queueShards);
  const queue = queues.queue(0);
  const webhookQueue = openWebhookQueue(redis, config.queuePrefix);
  const keyring = parseKeyring(config.encryptionKeys);
  const oktaHttp = options.oktaHttp ?? createOktaHttp();
  const app = buildApi({
    config,
    store,
    queues,
    redis,
    keyring,
    logger,
    oktaHttp,
    webhookQueue,
    metricsText: async () => '# HELP okta_sync_test 1\n',
    ready: async () => (await redis.ping()) === 'PONG',
    ...(options.onTenantConnected ? { onTenantConnected: options.onTenantConnected } : {}),
    ...(options.hookMetrics ? { hookMetrics: options.hookMetrics } : {}),
    // Files here send many wrong keys from one address on purpose; auth-throttle.test.ts covers the lockout.
    authThrottle: options.authThrottle ?? createAuthThrottle({ freeFailures: Number.POSITIVE_INFINITY }),
  });
  await app.ready();
  return {
    box,
    config,
    app,
    store,
    queue,
    queues,
    redis,
    keyring,
    logs,
    responses,
    async call({ key, ...inject }) {
      const headers = { ...(inject.headers ?? {}) } as Record<string, string>;
      const bearer = key === undefined ? KEY : key;
      if (bearer !== null) headers.authorization = `Bearer ${bearer}`;
      const res = await app.inject({ ...inject, headers });
      responses.push(JSON.stringify(res.headers), res.body);
      return res;
    },
    async close() {
      await app.close();
      await queues.close();
      await webhookQueue.close();
      await deleteByPattern(redis, `${keyPrefix(config.queuePrefix)}:*`);
      await deleteByPattern(redis, `{${config.queuePrefix}-[0-9]*}:*`);
      await redis.quit();
      await oktaHttp.close();
      await store.close();
      box.cleanup();
    },
  };
}

export function json<T = Record<string, unknown>>(res: LightMyRequestResponse): T {
  return JSON.parse(res.body) as T;
}

/** A tenant body for a domain that passes the policy without contacting anything. */
export function tenantBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { oktaDomain: 'acme.okta.com', clientId: '0oa1abcdefGHIJKLM', clientSecret: 'super-secret-value-xyz', ...overrides };
}
