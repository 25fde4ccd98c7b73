import type { Job } from 'bullmq';
import { clipText } from '../../shared/clip-text.js';
import { changeEventOf } from '../../shared/change-event-of.js';
import type { Keyring } from '../../shared/crypto.js';
import { enqueueEvents } from '../../shared/enqueue-events.js';
import { asTenantId, type TenantId } from '../../shared/ids.js';
import { parseJob } from '../../shared/jobs.js';
import type { Logger } from '../../shared/logger.js';
import { type OktaClient, emptyStats } from '../../shared/okta/okta-client.js';
import { credentialsOf } from '../../shared/okta/okta-credentials.js';
import type { DomainPolicy } from '../../shared/okta/okta-domain.js';
import { isOktaError } from '../../shared/okta/okta-errors.js';
import { releaseLock, tryLock } from '../../shared/okta/redis-lock.js';
import type { Redis } from '../../shared/redis.js';
import type { TenantQueues } from '../../shared/sharded-queues.js';
import { RESOURCE_SCOPE } from '../../shared/resources.js';
import { ACTIVE_RUN_STATUSES, type SyncStore } from '../../shared/store/sync-store.js';
import { readWatchStatus, recordPoll, watchStatusKey } from '../../shared/watch-status.js';
import { logsSync } from '../resources/logs.js';
import { listUrl } from '../resources/resource-sync.js';
import { isRefreshEvent } from './event-refreshes.js';
import { watchRunId } from './watch-run.js';

/** The poll's limits, in one block. */
export const POLL_POLICY = {
  /** Pages one poll reads at most before it leaves the rest to the next tick (50 000 events). */
  maxPages: 50,
  /** Events per page (System Log's maximum). */
  pageSize: 1000,
  /** A tenant with no logs cursor yet starts this far back (a first logs sync reads history). */
  startBackMs: 60_000,
  /** Lease of one poll against a second one of the same tenant (extended by nothing: a poll is short). */
  lockMs: 60_000,
} as const;

/** What a watch poll needs from the worker. */
export interface PollProcessorDeps {
  store: SyncStore;
  okta: OktaClient;
  /** Where the events jobs go: the tenant's queue shard. */
  queues: TenantQueues;
  redis: Redis;
  queuePrefix: string;
  keyring: Keyring;
  domainPolicy: DomainPolicy;
  rateShare: number;
  metrics: {
    watchEventsRead(tenantId: string, source: string, count: number): void;
    watchPolled(tenantId: string, result: string): void;
    watchLag(kind: string, seconds: number): void;
  };
  logger: Logger;
}

/**
 * One tick of a tenant's watch (flow step 8): the System Log's polling query from the tenant's
 * `logs` cursor, the same `sync_state` row the `logs` resource keeps, page by page until an empty
 * page: events stored as `log_event` (same `commitPage` as a logs run), those that name a change
 * queued as an `events` job, then the cursor moved on (in that order, so a crash re-reads and never
 * skips). While a `logs` run of the tenant is active the poll skips (the run is reading the same
 * feed; its polling pages hand their events on too). A poll never throws: a rate-limit refusal,
 * a 5xx or a timeout ends it and the next tick resumes from the cursor, so polls never pile up.
 */
export function createPollProcessor(deps: PollProcessorDeps) {
  return async function processPoll(job: Job): Promise<void> {
    const { tenantId: id } = parseJob('watch', job.data);
    const tenantId = asTenantId(id);
    const tenant = await deps.store.getTenant(tenantId);
    if (!tenant || tenant.status !== 'active') return skipped(deps, tenantId, 'tenant_not_active');
    if (await logsRunActive(deps.store, tenantId)) return skipped(deps, tenantId, 'logs_run_active');
    const lock = await tryLock(deps.redis, `${watchStatusKey(deps.queuePrefix, tenantId)}:poll`, POLL_POLICY.lockMs);
    if (!lock) return skipped(deps, tenantId, 'poll_in_progress');
    try {
      // Why the previous poll stopped: a cause that repeats is logged once, not every tick.
      const previous = (await readWatchStatus(deps.redis, deps.queuePrefix, tenantId)).lastPollSkipped;
      const read = await poll(deps, tenantId, tenant.rateShare ?? deps.rateShare, credentialsOf(tenant, deps.keyring, deps.domainPolicy), previous);
      deps.metrics.watchPolled(tenantId, read.stopped ?? 'read');
      await recordPoll(deps.redis, deps.queuePrefix, tenantId, { at: new Date().toISOString(), events: read.events, ...(read.stopped ? { skipped: read.stopped } : {}) });
    } finally {
      await releaseLock(deps.redis, lock).catch(() => undefined);
    }
  };
}

async function poll(
  deps: PollProcessorDeps,
  tenantId: TenantId,
  share: number,
  creds: ReturnType<typeof credentialsOf>,
  previous: string | null,
): Promise<{ events: number; stopped?: string }> {
  const watermark = await deps.store.getWatermark(tenantId, 'logs');
  let url =
    watermark?.startsWith(`${creds.origin}/api/v1/logs?`) === true
      ? watermark
      : listUrl(creds.origin, '/api/v1/logs', { since: new Date(Date.now() - POLL_POLICY.startBackMs).toISOString(), limit: String(POLL_POLICY.pageSize) });
  let events = 0;
  for (let page = 0; page < POLL_POLICY.maxPages; page++) {
    let items: unknown[];
    let next: string | null;
    try {
      ({ items, nextUrl: next } = await deps.okta.getPage(creds, url, [RESOURCE_SCOPE.logs], emptyStats(), share));
    } catch (error) {
      deps.metrics.watchEventsRead(tenantId, 'watch', events);
      return { events, stopped: stopReason(deps, tenantId, error, previous) };
    }
    await storeEvents(deps, tenantId, items);
    events += items.length;
    // The cursor moves only after the page's events are stored and handed on.
    await deps.store.setWatermark(tenantId, 'logs', next ?? url, new Date().toISOString());
    if (items.length === 0 || next === null || next === url) break;
    url = next;
  }
  deps.metrics.watchEventsRead(tenantId, 'watch', events);
  return { events };
}

/** A page of the log: stored like a logs run's page, its change events queued for refreshes. */
export async function storeEvents(deps: Pick<PollProcessorDeps, 'store' | 'queues' | 'metrics'>, tenantId: TenantId, items: unknown[]): Promise<void> {
  if (items.length === 0) return;
  const at = new Date();
  await deps.store.commitPage({ tenantId, runId: watchRunId(tenantId), type: 'log_event', pageKey: 'poll', objects: logsSync.toObjects(items), at: at.toISOString() });
  for (const item of items) {
    const published = Date.parse(String((item as { published?: unknown } | null)?.published));
    if (Number.isFinite(published)) deps.metrics.watchLag('log_event', (at.getTime() - published) / 1_000);
  }
  await forwardChangeEvents(deps.queues, tenantId, items);
}

/** Queues the events of `items` that name a change (an `events` job with source `watch`). */
export async function forwardChangeEvents(queues: TenantQueues, tenantId: string, items: unknown[]): Promise<number> {
  const changes = items.flatMap((item) => {
    const event = changeEventOf(item);
    return event && isRefreshEvent(event.eventType) ? [event] : [];
  });
  return changes.length === 0 ? 0 : enqueueEvents(queues, tenantId, 'watch', changes);
}

async function logsRunActive(store: SyncStore, tenantId: TenantId): Promise<boolean> {
  const runs = await store.listRuns({ tenantId, limit: 20 });
  return runs.some((run) => run.resource === 'logs' && ACTIVE_RUN_STATUSES.includes(run.status));
}

function stopReason(deps: PollProcessorDeps, tenantId: TenantId, error: unknown, previous: string | null): string {
  if (isOktaError(error, 'okta_rate_limited') || isOktaError(error, 'okta_concurrency_limited')) return 'rate_limited';
  if (isOktaError(error, 'okta_invalid_client')) {
    void deps.store.setTenantStatus(tenantId, 'credentials_invalid', new Date().toISOString()).catch(() => undefined);
  }
  const code = isOktaError(error) ? error.code : 'internal_error';
  const line = { tenantId, err: { code, message: clipText(error instanceof Error ? error.message : String(error)) } };
  // Once per cause: a tenant without okta.logs.read would otherwise warn every few seconds.
  if (code === previous) deps.logger.debug(line, 'watch poll stopped again');
  else deps.logger.warn(line, 'watch poll stopped');
  return code;
}

async function skipped(deps: PollProcessorDeps, tenantId: TenantId, why: string): Promise<void> {
  deps.metrics.watchPolled(tenantId, why);
  await recordPoll(deps.redis, deps.queuePrefix, tenantId, { at: new Date().toISOString(), events: 0, skipped: why });
}
