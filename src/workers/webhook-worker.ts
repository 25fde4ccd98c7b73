import { type Job, type Queue, Worker } from 'bullmq';
import type { Config } from '../shared/config.js';
import type { Keyring } from '../shared/crypto.js';
import { WEBHOOK_QUEUE } from '../shared/jobs.js';
import type { Logger } from '../shared/logger.js';
import { keyPrefix, type Redis } from '../shared/redis.js';
import type { SyncStore } from '../shared/store/sync-store.js';
import { instrumentJobs } from '../shared/telemetry/job-telemetry.js';
import type { Metrics } from '../shared/telemetry/metrics.js';
import { queueTelemetry } from '../shared/telemetry/queue-telemetry.js';
import { createWebhookMetrics } from '../shared/telemetry/webhook-metrics.js';
import { createWebhookClient, type WebhookClientOptions } from '../shared/webhooks/webhook-client.js';
import { openWebhookQueue } from '../shared/webhooks/webhook-queue.js';
import { WEBHOOK_RETRY, type WebhookRetryPolicy, webhookBackoffMs } from '../shared/webhooks/webhook-retry.js';
import { runReleasers } from '../shared/releasers.js';
import { createWebhookProcessor } from './webhook-processor.js';

export interface WebhookWorkerOptions {
  config: Pick<Config, 'queuePrefix' | 'allowInsecureLoopback' | 'webhookAllow'>;
  redis: Redis;
  store: Pick<SyncStore, 'getWebhook'>;
  keyring: Keyring;
  metrics: Metrics;
  logger: Logger;
  /** Deliveries in flight in this process, default 10. */
  concurrency?: number;
  /** Default `WEBHOOK_RETRY`; tests shorten the backoff. */
  retry?: Partial<WebhookRetryPolicy>;
  /** DNS override (tests). */
  resolve?: WebhookClientOptions['resolve'];
}

export interface WebhookWorkerHandle {
  /** Where run notifications are enqueued. */
  readonly queue: Queue;
  readonly worker: Worker;
  close(): Promise<void>;
}

/** The worker process's webhook side: its own queue and BullMQ worker, so slow receivers never hold a sync slot. */
export async function startWebhookWorker(options: WebhookWorkerOptions): Promise<WebhookWorkerHandle> {
  const retry = { ...WEBHOOK_RETRY, ...options.retry };
  const releasers: (() => Promise<unknown>)[] = [];
  try {
    const queue = openWebhookQueue(options.redis, options.config.queuePrefix);
    releasers.push(() => queue.close());
    const client = createWebhookClient({
      policy: { allowInsecureLoopback: options.config.allowInsecureLoopback, allow: options.config.webhookAllow },
      ...(options.resolve ? { resolve: options.resolve } : {}),
    });
    releasers.push(() => client.close());
    const processor = createWebhookProcessor({
      store: options.store,
      keyring: options.keyring,
      client,
      metrics: createWebhookMetrics(options.metrics.registry),
      logger: options.logger,
      retry,
    });
    const worker = new Worker(WEBHOOK_QUEUE, instrumentJobs((job: Job) => processor(job), options.metrics), {
      connection: options.redis,
      prefix: keyPrefix(options.config.queuePrefix),
      concurrency: options.concurrency ?? 10,
      settings: { backoffStrategy: (attemptsMade: number) => webhookBackoffMs(attemptsMade, retry) },
      ...queueTelemetry(),
    });
    worker.on('error', (err) => options.logger.error({ err: { message: err.message } }, 'webhook worker error'));
    releasers.push(() => worker.close());
    await worker.waitUntilReady();
    return { queue, worker, close: () => runReleasers(releasers) };
  } catch (error) {
    await runReleasers(releasers);
    throw error;
  }
}
