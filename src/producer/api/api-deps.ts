import type { Queue } from 'bullmq';
import type { Config } from '../../shared/config.js';
import type { AuthThrottle } from './auth-throttle.js';
import type { Keyring } from '../../shared/crypto.js';
import type { Logger } from '../../shared/logger.js';
import type { DomainPolicy } from '../../shared/okta/okta-domain.js';
import type { OktaHttp } from '../../shared/okta/okta-http.js';
import type { Redis } from '../../shared/redis.js';
import type { ShardedQueues } from '../../shared/sharded-queues.js';
import type { SyncStore } from '../../shared/store/sync-store.js';
import type { HookMetrics } from '../../shared/telemetry/hook-metrics.js';
import type { TenantConnected } from '../connect/connect-submit.js';

/** Everything the HTTP API uses; built by `start-api.ts` (or a test) and closed by whoever built it. */
export interface ApiDeps {
  config: Config;
  store: SyncStore;
  /** The sync queue's shards (page and schedule jobs): a tenant's go to `queues.forTenant(id)`. */
  queues: ShardedQueues;
  /** The Redis connection the queue uses: idempotency records and tenant key cleanup. */
  redis: Redis;
  keyring: Keyring;
  logger: Logger;
  /** HTTP client for `verify`'s calls to the tenant's Okta org. */
  oktaHttp: OktaHttp;
  /** Prometheus text exposition of this process's metrics. */
  metricsText(): Promise<string>;
  /** True when Redis and the store answer. */
  ready(): Promise<boolean>;
  /**
   * Called after the connect page stored a tenant: the seam for the `tenant.connected` webhook
   * (issue 16b). Default: none; a failure is logged and never shown to the customer.
   */
  onTenantConnected?: (event: TenantConnected) => Promise<void>;
  /** Event Hook receiver counters (`hook-routes.ts`); default none. */
  hookMetrics?: HookMetrics;
  /** The outgoing webhooks' queue, shown in Bull Board beside the sync queue; default none. */
  webhookQueue?: Queue;
  /** Per-address slow-down of failed authentication; default `createAuthThrottle()`. */
  authThrottle?: AuthThrottle;
}

export function domainPolicyOf(config: Config): DomainPolicy {
  return { allowInsecureLoopback: config.allowInsecureLoopback, customDomains: config.customDomains };
}

/** Drops keys whose value is undefined (zod output vs. exactOptionalPropertyTypes). */
export function defined<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as { [K in keyof T]: Exclude<T[K], undefined> };
}
