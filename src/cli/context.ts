import type { Config } from '../shared/config.js';
import { type Keyring, parseKeyring } from '../shared/crypto.js';
import { createLogger, type Logger } from '../shared/logger.js';
import type { DomainPolicy } from '../shared/okta/okta-domain.js';
import { openSyncQueues, type ShardedQueues } from '../shared/sharded-queues.js';
import { assertShardCount } from '../shared/shard-count.js';
import { OktaSyncError } from '../shared/errors.js';
import { closeRedisConnection, createRedis, type Redis, redisVariable } from '../shared/redis.js';
import type { RedisTarget } from '../shared/redis-target.js';
import { openStore } from '../shared/store/open-store.js';
import type { SyncStore } from '../shared/store/sync-store.js';
import { runReleasers } from '../shared/releasers.js';

/**
 * Lazily opened resources for one CLI command, closed in reverse order by `close()`.
 * Commands only open what they use (e.g. `runs show` never connects to Redis).
 */
export class CliContext {
  private readonly releasers: (() => Promise<unknown>)[] = [];
  private storeP: Promise<SyncStore> | undefined;
  private redisP: Promise<Redis> | undefined;
  private queuesC: ShardedQueues | undefined;
  readonly logger: Logger;

  constructor(readonly config: Config) {
    // CLI logs go to stderr: stdout carries the command's output (JSON, NDJSON).
    this.logger = createLogger({ level: config.logLevel === 'info' ? 'warn' : config.logLevel, name: 'cli', destination: process.stderr });
    // A malformed keyring stops every command at once (exit 2), not only those that decrypt.
    if (config.encryptionKeys !== undefined) parseKeyring(config.encryptionKeys);
  }

  keyring(): Keyring {
    return parseKeyring(this.config.encryptionKeys);
  }

  domainPolicy(): DomainPolicy {
    return { allowInsecureLoopback: this.config.allowInsecureLoopback, customDomains: this.config.customDomains };
  }

  store(): Promise<SyncStore> {
    if (!this.storeP) {
      this.storeP = openStore(this.config.storeUrl, { retention: this.config.retention });
      this.releasers.push(async () => (await this.storeP)?.close());
    }
    return this.storeP;
  }

  /**
   * Redis, once it answers: a command never hangs on an unreachable Redis, it fails within
   * `REDIS_CONNECT_TIMEOUT_MS` with one line naming its variable (REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS) (exit 1) before it writes anything.
   */
  redis(): Promise<Redis> {
    if (!this.redisP) {
      const redis = createRedis(this.config.redis, { maxRetriesPerRequest: 3, connectTimeout: REDIS_CONNECT_TIMEOUT_MS });
      this.releasers.push(() => closeRedisConnection(redis));
      this.redisP = whenReady(redis, this.config.redis);
    }
    return this.redisP;
  }

  /**
   * Every shard of the sync queue (OKTA_SYNC_QUEUE_SHARDS): a tenant's jobs go to `forTenant(id)`.
   * A count other than the workers' (recorded in Redis) stops the command (exit 2) before it queues anything.
   */
  async queues(): Promise<ShardedQueues> {
    const redis = await this.redis();
    if (!this.queuesC) {
      await assertShardCount(redis, this.config.queuePrefix, this.config.queueShards);
      const queues = openSyncQueues(redis, this.config.queuePrefix, this.config.queueShards);
      this.queuesC = queues;
      this.releasers.push(() => queues.close());
    }
    return this.queuesC;
  }

  close(): Promise<void> {
    return runReleasers(this.releasers);
  }
}

/** How long a CLI command waits for Redis to answer before it gives up (exit 1). */
const REDIS_CONNECT_TIMEOUT_MS = 3_000;

/** Host and port(s) of a target, never a password. */
function whereIs(target: RedisTarget): string {
  if (target.mode === 'single') return new URL(target.url).host;
  const nodes = target.mode === 'cluster' ? target.nodes : target.sentinels;
  return nodes.map((n) => `${n.host}:${n.port}`).join(',');
}

/** Resolves once `redis` is ready; rejects naming its variable (host and port, never a password) otherwise. */
function whenReady(redis: Redis, target: RedisTarget): Promise<Redis> {
  let lastError = 'no answer';
  // ioredis prints a stack for every failed attempt unless someone listens.
  redis.on('error', (err: Error) => {
    lastError = err.message;
  });
  if (redis.status === 'ready') return Promise.resolve(redis);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      redis.disconnect();
      reject(new OktaSyncError('redis_unavailable', `${redisVariable(redis)}: cannot reach Redis at ${whereIs(target)} within ${REDIS_CONNECT_TIMEOUT_MS / 1000} s (${lastError})`));
    }, REDIS_CONNECT_TIMEOUT_MS);
    const onReady = () => {
      clearTimeout(timer);
      resolve(redis);
    };
    redis.once('ready', onReady);
  });
}
