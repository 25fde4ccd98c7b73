import type { EventHookRecord, EventHookStatus } from '../../shared/store/sync-store.js';

/** A tenant's Event Hook as `tenant show` and `GET /v1/tenants/{id}` show it: never the secret. */
export interface EventHookView {
  status: EventHookStatus;
  oktaHookId: string | null;
  uri: string;
  events: number;
  updatedAt: string;
}

export function eventHookView(hook: EventHookRecord | undefined): EventHookView | null {
  if (!hook) return null;
  return { status: hook.status, oktaHookId: hook.oktaHookId, uri: hook.uri, events: hook.events.length, updatedAt: hook.updatedAt };
}
