import { Counter, type Registry } from 'prom-client';

/**
 * How one Event Hook request to the receiver ended. `accepted`: authenticated and answered 200;
 * `refused`: no or wrong secret, or no hook for the tenant (401); `invalid`: authenticated but the
 * body is not an event hook request (400).
 */
export const HOOK_DELIVERY_RESULTS = ['accepted', 'refused', 'invalid'] as const;
export type HookDeliveryResult = (typeof HOOK_DELIVERY_RESULTS)[number];

/** What became of the events of accepted deliveries. */
export const HOOK_EVENT_RESULTS = ['queued', 'duplicate', 'ignored', 'invalid'] as const;
export type HookEventResult = (typeof HOOK_EVENT_RESULTS)[number];

export interface HookMetrics {
  delivery(result: HookDeliveryResult): void;
  events(result: HookEventResult, count: number): void;
}

export const NO_HOOK_METRICS: HookMetrics = { delivery: () => undefined, events: () => undefined };

/** Event Hook receiver metrics on the API's registry (same `/metrics`). */
export function createHookMetrics(registry: Registry): HookMetrics {
  const deliveries = new Counter({
    name: 'okta_sync_hook_deliveries_total',
    help: 'Okta Event Hook deliveries received, by result (accepted, refused: bad secret, invalid: bad body)',
    labelNames: ['result'],
    registers: [registry],
  });
  const events = new Counter({
    name: 'okta_sync_hook_events_total',
    help: 'Events of accepted Event Hook deliveries: queued for refresh, duplicate (uuid seen), ignored (type not refreshed), invalid',
    labelNames: ['result'],
    registers: [registry],
  });
  return {
    delivery: (result) => deliveries.inc({ result }),
    events: (result, count) => {
      if (count > 0) events.inc({ result }, count);
    },
  };
}
