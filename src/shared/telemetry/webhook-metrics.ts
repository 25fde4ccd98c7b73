import { Counter, Histogram, type Registry } from 'prom-client';

/**
 * How one delivery attempt ended. `delivered`: a 2xx; `failed`: another status, a network error
 * or a timeout (retried); `refused`: the URL or its address is not allowed (not retried);
 * `expired`: given up after the retry window; `skipped`: the webhook was removed or no longer
 * subscribes to the event.
 */
export const WEBHOOK_RESULTS = ['delivered', 'failed', 'refused', 'expired', 'skipped'] as const;
export type WebhookResult = (typeof WEBHOOK_RESULTS)[number];

export interface WebhookMetrics {
  /** One attempt ended; `seconds` is the HTTP exchange's duration (0 when nothing was sent). */
  attempt(result: WebhookResult, event: string, seconds: number): void;
}

/** Webhook delivery metrics on a process's registry (beside those of metrics.ts, same `/metrics`). */
export function createWebhookMetrics(registry: Registry): WebhookMetrics {
  const deliveries = new Counter({
    name: 'okta_sync_webhook_deliveries_total',
    help: 'Webhook delivery attempts by event and result',
    labelNames: ['event', 'result'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'okta_sync_webhook_delivery_seconds',
    help: "Webhook delivery latency (request sent to the receiver's answer or failure)",
    labelNames: ['result'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15],
    registers: [registry],
  });
  return {
    attempt(result, event, seconds) {
      deliveries.inc({ event, result });
      if (result === 'delivered' || result === 'failed') latency.observe({ result }, seconds);
    },
  };
}
