import type { Queue } from 'bullmq';
import type { Config } from '../shared/config.js';
import { type Keyring, parseKeyring } from '../shared/crypto.js';
import { createLogger, type Logger } from '../shared/logger.js';
import type { DomainPolicy } from '../shared/okta/okta-domain.js';
import { openSyncQueue } from '../shared/queue.js';
import { createRedis, type Redis } from '../shared/redis.js';
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
  private redisC: Redis | undefined;
  private queueC: Queue | undefined;
  readonly logger: Logger;

  constructor(readonly config: Config) {
    // CLI logs go to stderr: stdout carries the command's output (JSON, NDJSON).
    this.logger = createLogger({ level: config.logLevel === 'info' ? 'warn' : config.logLevel, name: 'cli', destination: process.stderr });
  }

  keyring(): Keyring {
    return parseKeyring(this.config.encryptionKeys);
  }

  domainPolicy(): DomainPolicy {
    return { allowInsecureLoopback: this.config.allowInsecureLoopback, customDomains: this.config.customDomains };
  }

  store(): Promise<SyncStore> {
    if (!this.storeP) {
      this.storeP = openStore(this.config.storeUrl);
      this.releasers.push(async () => (await this.storeP)?.close());
    }
    return this.storeP;
  }

  redis(): Redis {
    if (!this.redisC) {
      const redis = createRedis(this.config.redis, { maxRetriesPerRequest: 3 });
      this.redisC = redis;
      this.releasers.push(() => redis.quit().catch(() => redis.disconnect()));
    }
    return this.redisC;
  }

  queue(): Queue {
    if (!this.queueC) {
      const queue = openSyncQueue(this.redis(), this.config.queuePrefix);
      this.queueC = queue;
      this.releasers.push(() => queue.close());
    }
    return this.queueC;
  }

  close(): Promise<void> {
    return runReleasers(this.releasers);
  }
}
