import { type Job, UnrecoverableError } from 'bullmq';
import type { Keyring } from '../shared/crypto.js';
import { asTenantId } from '../shared/ids.js';
import { parseJob } from '../shared/jobs.js';
import type { Logger } from '../shared/logger.js';
import type { SyncStore } from '../shared/store/sync-store.js';
import type { WebhookMetrics } from '../shared/telemetry/webhook-metrics.js';
import { type WebhookClient, WebhookError } from '../shared/webhooks/webhook-client.js';
import { WEBHOOK_RETRY, type WebhookRetryPolicy } from '../shared/webhooks/webhook-retry.js';
import { webhookSecretContext } from '../shared/webhooks/webhook-secret.js';
import { WEBHOOK_HEADERS, signWebhook } from '../shared/webhooks/webhook-signature.js';

export interface WebhookProcessorDeps {
  store: Pick<SyncStore, 'getWebhook'>;
  keyring: Keyring;
  client: WebhookClient;
  metrics: WebhookMetrics;
  logger: Logger;
  /** Default `WEBHOOK_RETRY` (only `maxAgeMs` is read here; the backoff is the worker's setting). */
  retry?: Pick<WebhookRetryPolicy, 'maxAgeMs'>;
}

/**
 * One delivery attempt: parse → too old? → current webhook (URL, secret) → sign → POST. A 2xx
 * acknowledges it; any other answer or a network failure throws, so the queue retries with
 * backoff; a refused URL or address fails for good. The URL is logged by host only (its path or
 * query may hold a receiver's token) and the secret never.
 */
export function createWebhookProcessor(deps: WebhookProcessorDeps) {
  const maxAgeMs = deps.retry?.maxAgeMs ?? WEBHOOK_RETRY.maxAgeMs;
  return async function processWebhook(job: Job): Promise<void> {
    const data = parseJob('webhook', job.data);
    const log = deps.logger.child({ tenantId: data.tenantId, deliveryId: data.deliveryId, event: data.event, attempt: job.attemptsMade + 1 });
    if (Date.now() - job.timestamp > maxAgeMs) {
      deps.metrics.attempt('expired', data.event, 0);
      log.warn('webhook delivery given up: not acknowledged within the retry window');
      throw new UnrecoverableError('webhook delivery expired');
    }
    const tenantId = asTenantId(data.tenantId);
    const webhook = await deps.store.getWebhook(tenantId);
    if (!webhook || !webhook.events.includes(data.event)) {
      deps.metrics.attempt('skipped', data.event, 0);
      log.info('webhook delivery skipped: no webhook for this event any more');
      return;
    }
    const host = safeHost(webhook.url);
    let secret: string;
    try {
      secret = deps.keyring.decrypt(webhook.secret, webhookSecretContext(tenantId));
    } catch {
      // A key removed from the keyring before `keys rotate`: retrying cannot help.
      deps.metrics.attempt('failed', data.event, 0);
      log.error('webhook secret cannot be decrypted with the keyring; delivery dropped');
      throw new UnrecoverableError('webhook secret cannot be decrypted');
    }
    const body = JSON.stringify(data.payload);
    const timestamp = String(Math.floor(Date.now() / 1000));
    const headers = {
      [WEBHOOK_HEADERS.delivery]: data.deliveryId,
      [WEBHOOK_HEADERS.timestamp]: timestamp,
      [WEBHOOK_HEADERS.signature]: signWebhook(secret, timestamp, body),
      [WEBHOOK_HEADERS.event]: data.event,
    };
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    let status: number;
    try {
      status = (await deps.client.post(webhook.url, body, headers)).status;
    } catch (error) {
      if (error instanceof WebhookError && error.code === 'webhook_refused') {
        deps.metrics.attempt('refused', data.event, 0);
        log.warn({ host, code: error.code, reason: error.message }, 'webhook delivery refused');
        throw new UnrecoverableError(error.message);
      }
      deps.metrics.attempt('failed', data.event, seconds());
      const code = error instanceof WebhookError ? error.code : 'webhook_network';
      log.warn({ host, code, reason: error instanceof Error ? error.message : String(error) }, 'webhook delivery failed, will retry');
      throw error instanceof WebhookError ? error : new WebhookError('webhook_network', 'delivery failed');
    }
    if (status >= 200 && status < 300) {
      deps.metrics.attempt('delivered', data.event, seconds());
      log.info({ host, status }, 'webhook delivered');
      return;
    }
    deps.metrics.attempt('failed', data.event, seconds());
    log.warn({ host, status }, 'webhook receiver did not acknowledge, will retry');
    throw new WebhookError('webhook_network', `receiver answered ${status}`);
  };
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '(invalid url)';
  }
}
