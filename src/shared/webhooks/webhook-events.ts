import type { RunCounters, RunRecord, WebhookEvent } from '../store/sync-store.js';

/**
 * The bodies of outgoing webhooks (README "Webhooks"). They carry ids, counts and feed cursors,
 * never object data: the receiver reads what changed from the API with its own key.
 */
export interface RunFinishedPayload {
  event: 'run.finished';
  deliveryId: string;
  tenantId: string;
  runId: string;
  resource: string;
  mode: string;
  status: 'succeeded' | 'failed' | 'cancelled';
  startedAt: string | null;
  finishedAt: string | null;
  counters: RunCounters;
  /** The run's error code when it failed (`okta_invalid_client`, `pagination_loop`…), else null. */
  errorCode: string | null;
}

/** Cursors of the change feed (GET /v1/tenants/{id}/changes) that a run's writes appended. */
export interface FeedRange {
  /** Pass as `after` to read this run's first entry onwards. */
  from: string;
  /** The cursor of the run's last entry. */
  to: string;
}

/** Where a run's entries sit in the change feed; undefined when the run appended none. Wired by whoever owns the feed. */
export type FeedRangeOf = (run: RunRecord) => Promise<FeedRange | undefined>;

export interface ObjectsChangedPayload {
  event: 'objects.changed';
  deliveryId: string;
  tenantId: string;
  runId: string;
  resource: string;
  /** `written`: objects the run upserted; `deleted`: objects it marked deleted. */
  counts: { written: number; deleted: number };
  /** The feed cursors of these changes, null while no feed range is known. */
  feed: FeedRange | null;
}

/** Deterministic: one delivery per (event, run), however often the run's end is observed. */
export function deliveryIdOf(event: WebhookEvent, runId: string): string {
  return `${event}.${runId}`;
}

export function runFinishedPayload(run: RunRecord): RunFinishedPayload {
  return {
    event: 'run.finished',
    deliveryId: deliveryIdOf('run.finished', run.runId),
    tenantId: run.tenantId,
    runId: run.runId,
    resource: run.resource,
    mode: run.mode,
    status: run.status as RunFinishedPayload['status'],
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    counters: run.counters,
    errorCode: run.error?.code ?? null,
  };
}

export function objectsChangedPayload(run: RunRecord, feed: FeedRange | undefined): ObjectsChangedPayload {
  return {
    event: 'objects.changed',
    deliveryId: deliveryIdOf('objects.changed', run.runId),
    tenantId: run.tenantId,
    runId: run.runId,
    resource: run.resource,
    counts: { written: run.counters.objects, deleted: run.counters.deleted },
    feed: feed ?? null,
  };
}

export interface TenantConnectedPayload {
  event: 'tenant.connected';
  deliveryId: string;
  tenantId: string;
  /** Scopes Okta granted on the connect page's live check. */
  grantedScopes: string[];
  /** Every needed scope granted and every resource readable without a warning. */
  ok: boolean;
  connectedAt: string;
}

/** One delivery per connection (a tenant connected again later is a new event). */
export function tenantConnectedPayload(event: { tenantId: string; grantedScopes: string[]; ok: boolean }, at: Date): TenantConnectedPayload {
  return {
    event: 'tenant.connected',
    deliveryId: `tenant.connected.${event.tenantId}.${at.getTime()}`,
    tenantId: event.tenantId,
    grantedScopes: [...event.grantedScopes],
    ok: event.ok,
    connectedAt: at.toISOString(),
  };
}
