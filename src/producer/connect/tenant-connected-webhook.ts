import type { Queue } from 'bullmq';
import type { SyncStore } from '../../shared/store/sync-store.js';
import { tenantConnectedPayload } from '../../shared/webhooks/webhook-events.js';
import { addWebhookJob } from '../../shared/webhooks/webhook-queue.js';
import type { TenantConnected } from './connect-submit.js';

/** What the `tenant.connected` notifier needs. */
export interface TenantConnectedDeps {
  store: Pick<SyncStore, 'getWebhook'>;
  /** The webhook delivery queue (`openWebhookQueue`): workers sign and send, with retries. */
  queue: Queue;
  /** Default `() => new Date()`. */
  now?: () => Date;
}

/**
 * The connect page's `onTenantConnected`: queues a signed `tenant.connected` delivery when the
 * tenant's webhook asks for that event (the worker checks again at each attempt).
 */
export function createTenantConnectedNotifier(deps: TenantConnectedDeps): (event: TenantConnected) => Promise<void> {
  const now = deps.now ?? (() => new Date());
  return async (event) => {
    const webhook = await deps.store.getWebhook(event.tenantId);
    if (!webhook?.events.includes('tenant.connected')) return;
    const payload = tenantConnectedPayload(event, now());
    await addWebhookJob(deps.queue, { tenantId: event.tenantId, event: 'tenant.connected', deliveryId: payload.deliveryId, payload: { ...payload } });
  };
}
