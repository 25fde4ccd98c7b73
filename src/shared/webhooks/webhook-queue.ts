import { Queue } from 'bullmq';
import { KEEP_COMPLETED, KEEP_FAILED, WEBHOOK_QUEUE, type WebhookJob, webhookJobSchema } from '../jobs.js';
import { type Redis, keyPrefix } from '../redis.js';
import { queueTelemetry } from '../telemetry/queue-telemetry.js';
import { WEBHOOK_RETRY } from './webhook-retry.js';

/** The webhook delivery queue, beside the sync queue under the same prefix (same hash tag). */
export function openWebhookQueue(connection: Redis, queuePrefix: string): Queue {
  return new Queue(WEBHOOK_QUEUE, { connection, prefix: keyPrefix(queuePrefix), ...queueTelemetry() });
}

/**
 * Adds a delivery under its delivery id after validating it: BullMQ ignores an add whose id still
 * exists, and completed deliveries are kept a day, so an event observed twice is sent once.
 */
export async function addWebhookJob(queue: Queue, job: WebhookJob, options: { attempts?: number } = {}): Promise<void> {
  const data = webhookJobSchema.parse(job);
  await queue.add('webhook', data, {
    jobId: data.deliveryId,
    attempts: options.attempts ?? WEBHOOK_RETRY.attempts,
    backoff: { type: 'webhook' },
    removeOnComplete: KEEP_COMPLETED,
    removeOnFail: KEEP_FAILED,
  });
}
