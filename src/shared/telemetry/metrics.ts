import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Minimal interface the queue-depth gauge needs from a BullMQ `Queue`. */
export interface QueueCounts {
  getJobCounts(...types: string[]): Promise<Record<string, number>>;
}

/** One Okta HTTP exchange as the Okta client reports it (its `onRequest` hook). */
export interface OktaRequestEvent {
  tenantId: string;
  bucket: string;
  /** HTTP status; 0 when no response came back (network error, timeout). */
  status: number;
  durationMs: number;
}

/** One thing the token service did (its `onEvent` hook). */
export interface TokenEvent {
  kind: 'fetch' | 'l1_hit' | 'l2_hit' | 'lock_wait';
  tenantId: string;
  durationMs: number;
}

/** How a job attempt ended. `delayed`: waiting on a rate limit, no attempt spent. */
export const JOB_RESULTS = ['completed', 'delayed', 'retried', 'failed'] as const;
export type JobResult = (typeof JOB_RESULTS)[number];

export interface MetricsOptions {
  /** Queue whose job counts `okta_sync_queue_jobs` reports (same as calling `watchQueue`). */
  queue?: QueueCounts;
  /** Node.js process metrics (CPU, memory, event loop lag, GC), default true. */
  processMetrics?: boolean;
  /** Longest a scrape waits for the queue counts before reporting the last known ones, default 2000 ms. */
  queueCountTimeoutMs?: number;
}

/** Queue states reported as depth; `completed` is left out (finished jobs are kept for a day). */
export const QUEUE_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'failed'] as const;

/**
 * One process's Prometheus metrics (DESIGN.md "Observability"). Every process builds one in its
 * composition root: the worker's health server serves `registry`, the API serves `metricsText()`.
 * The event methods are shaped like the hooks they are wired to and never throw.
 */
export interface Metrics {
  /** prom-client registry (`contentType` + `metrics()`), what a `/metrics` handler serves. */
  readonly registry: Registry;
  /** Prometheus text exposition of every metric of this process. */
  metricsText(): Promise<string>;
  /** Reports `okta_sync_queue_jobs{state}` from this queue, read on each scrape. Once per Metrics. */
  watchQueue(queue: QueueCounts): void;
  /** The Okta client's `onRequest` hook. */
  oktaRequest(event: OktaRequestEvent): void;
  /** The token service's `onEvent` hook. */
  tokenEvent(event: TokenEvent): void;
  /** A job attempt started; call the returned function when it ends. */
  jobStarted(job: { tenantId: string; resource: string }): (result: JobResult, delayMs?: number) => void;
  /** A page's objects were written (a page committed for the first time). */
  objectsWritten(tenantId: string, type: string, count: number): void;
  /** Change-feed entries a store commit of this process appended (the store's `onAppended` hook). */
  feedAppended(tenantId: string, op: string, count: number): void;
  /** A run reached a final status in this process; `seconds` from its creation (enqueue) to now. */
  runFinished(run: { tenantId: string; resource: string; status: string; seconds: number }): void;
  /** A watch poll read `count` System Log events (`source` watch), or an events job brought them (`hook`). */
  watchEventsRead(tenantId: string, source: string, count: number): void;
  /** A watch poll ended (`result`: `read`, or why it was skipped); sets the tenant's last-poll time. */
  watchPolled(tenantId: string, result: string): void;
  /** A targeted refresh ended (`result`: `written`, `deleted`, `skipped`, `delayed`, `failed`). */
  refreshDone(kind: string, result: string): void;
  /** Seconds from an event's `published` to the store write it caused (`kind`: refresh kind or `log_event`). */
  watchLag(kind: string, seconds: number): void;
}

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry });
  let watched = false;
  const watchQueue = (queue: QueueCounts) => {
    if (watched) throw new Error('createMetrics: a queue is already watched');
    watched = true;
    queueDepth(registry, queue, options.queueCountTimeoutMs ?? 2_000);
  };
  if (options.queue) watchQueue(options.queue);

  const { jobs, jobSeconds, inFlight, requests, requestSeconds, rateLimited, waitSeconds, tokenFetches, tokenHits, tokenSeconds, objects, feedEntries, runs, runSeconds } =
    defineInstruments([registry]);
  const { watchEvents, watchPolls, watchLastPoll, refreshes, watchLagSeconds } = defineWatchInstruments([registry]);
  const running = new Map<string, number>();
  return {
    registry,
    metricsText: () => registry.metrics(),
    watchQueue,
    oktaRequest(e) {
      requests.inc({ bucket: e.bucket, status: String(e.status) });
      requestSeconds.observe({ bucket: e.bucket }, e.durationMs / 1_000);
      if (e.status === 429) rateLimited.inc({ tenant: e.tenantId, bucket: e.bucket });
    },
    tokenEvent(e) {
      if (e.kind === 'fetch') tokenFetches.inc({ tenant: e.tenantId });
      else if (e.kind === 'l1_hit') tokenHits.inc({ layer: 'l1' });
      else if (e.kind === 'l2_hit') tokenHits.inc({ layer: 'l2' });
      if (e.kind === 'fetch' || e.kind === 'lock_wait') tokenSeconds.observe({ kind: e.kind }, e.durationMs / 1_000);
    },
    jobStarted({ tenantId, resource }) {
      const started = Date.now();
      running.set(tenantId, (running.get(tenantId) ?? 0) + 1);
      inFlight.set({ tenant: tenantId }, running.get(tenantId) ?? 0);
      return (result, delayMs) => {
        const left = (running.get(tenantId) ?? 1) - 1;
        // A tenant with nothing running drops its series: idle tenants cost no cardinality.
        if (left > 0) {
          running.set(tenantId, left);
          inFlight.set({ tenant: tenantId }, left);
        } else {
          running.delete(tenantId);
          inFlight.remove({ tenant: tenantId });
        }
        jobs.inc({ tenant: tenantId, resource, result });
        jobSeconds.observe({ resource, result }, (Date.now() - started) / 1_000);
        if (result === 'delayed' && delayMs !== undefined && delayMs > 0) waitSeconds.inc({ tenant: tenantId }, delayMs / 1_000);
      };
    },
    objectsWritten(tenantId, type, count) {
      if (count > 0) objects.inc({ tenant: tenantId, type }, count);
    },
    feedAppended(tenantId, op, count) {
      if (count > 0) feedEntries.inc({ tenant: tenantId, op }, count);
    },
    runFinished(run) {
      runs.inc({ tenant: run.tenantId, resource: run.resource, status: run.status });
      runSeconds.observe({ resource: run.resource, status: run.status }, Math.max(0, run.seconds));
    },
    watchEventsRead(tenantId, source, count) {
      if (count > 0) watchEvents.inc({ tenant: tenantId, source }, count);
    },
    watchPolled(tenantId, result) {
      watchPolls.inc({ tenant: tenantId, result });
      watchLastPoll.set({ tenant: tenantId }, Date.now() / 1_000);
    },
    refreshDone(kind, result) {
      refreshes.inc({ kind, result });
    },
    watchLag(kind, seconds) {
      watchLagSeconds.observe({ kind }, Math.max(0, seconds));
    },
  };
}

/** Every metric of ours, registered on `registers` (names, help, labels and buckets in one place). */
function defineInstruments(registers: Registry[]) {
  const jobs = new Counter({ name: 'okta_sync_jobs_total', help: 'Job attempts by tenant, resource and result', labelNames: ['tenant', 'resource', 'result'], registers });
  const jobSeconds = new Histogram({
    name: 'okta_sync_job_duration_seconds',
    help: 'Time one job attempt held a worker slot',
    labelNames: ['resource', 'result'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers,
  });
  const inFlight = new Gauge({ name: 'okta_sync_tenant_jobs_in_flight', help: 'Jobs of each tenant running in this process', labelNames: ['tenant'], registers });
  const requests = new Counter({ name: 'okta_sync_okta_requests_total', help: 'Okta HTTP requests by rate-limit bucket and status (0 = no response)', labelNames: ['bucket', 'status'], registers });
  const requestSeconds = new Histogram({
    name: 'okta_sync_okta_request_duration_seconds',
    help: 'Okta HTTP request latency by bucket',
    labelNames: ['bucket'],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  const rateLimited = new Counter({ name: 'okta_sync_okta_rate_limited_total', help: 'Okta 429 answers by tenant and bucket', labelNames: ['tenant', 'bucket'], registers });
  const waitSeconds = new Counter({ name: 'okta_sync_rate_limit_wait_seconds_total', help: 'Seconds page jobs were delayed waiting on a rate limit', labelNames: ['tenant'], registers });
  const tokenFetches = new Counter({ name: 'okta_sync_token_fetches_total', help: 'Token endpoint requests by tenant', labelNames: ['tenant'], registers });
  const tokenHits = new Counter({ name: 'okta_sync_token_cache_hits_total', help: 'Tokens served from cache: l1 (process) or l2 (Redis)', labelNames: ['layer'], registers });
  const tokenSeconds = new Histogram({
    name: 'okta_sync_token_seconds',
    help: 'Token fetch and lock wait durations',
    labelNames: ['kind'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  const objects = new Counter({ name: 'okta_sync_objects_written_total', help: 'Objects written to the store by tenant and type', labelNames: ['tenant', 'type'], registers });
  const feedEntries = new Counter({ name: 'okta_sync_feed_entries_total', help: 'Change-feed entries appended by tenant and op (upsert, delete)', labelNames: ['tenant', 'op'], registers });
  const runs = new Counter({ name: 'okta_sync_runs_finished_total', help: 'Runs that reached a final status, by tenant, resource and status', labelNames: ['tenant', 'resource', 'status'], registers });
  const runSeconds = new Histogram({
    name: 'okta_sync_run_duration_seconds',
    help: 'Run duration from enqueue to final status',
    labelNames: ['resource', 'status'],
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600],
    registers,
  });
  return { jobs, jobSeconds, inFlight, requests, requestSeconds, rateLimited, waitSeconds, tokenFetches, tokenHits, tokenSeconds, objects, feedEntries, runs, runSeconds };
}

/** The System Log watch's metrics (DESIGN.md flow step 8). */
function defineWatchInstruments(registers: Registry[]) {
  const watchEvents = new Counter({ name: 'okta_sync_watch_events_read_total', help: 'System Log events read by the watch (source watch) or received (hook), by tenant', labelNames: ['tenant', 'source'], registers });
  const watchPolls = new Counter({ name: 'okta_sync_watch_polls_total', help: 'Watch polls by tenant and result (read, or why skipped)', labelNames: ['tenant', 'result'], registers });
  const watchLastPoll = new Gauge({ name: 'okta_sync_watch_last_poll_timestamp_seconds', help: 'When this process last polled the tenant\'s System Log (epoch seconds)', labelNames: ['tenant'], registers });
  const refreshes = new Counter({ name: 'okta_sync_watch_refreshes_total', help: 'Targeted refreshes by kind and result', labelNames: ['kind', 'result'], registers });
  const watchLagSeconds = new Histogram({
    name: 'okta_sync_watch_lag_seconds',
    help: 'From an event\'s published time to the store write it caused, by kind',
    labelNames: ['kind'],
    buckets: [0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 900],
    registers,
  });
  return { watchEvents, watchPolls, watchLastPoll, refreshes, watchLagSeconds };
}

/** `okta_sync_queue_jobs{state}`: read from Redis on each scrape, the last known counts if Redis is slow. */
function queueDepth(registry: Registry, queue: QueueCounts, timeoutMs: number): void {
  new Gauge({
    name: 'okta_sync_queue_jobs',
    help: 'Jobs in the sync queue by state, summed over its shards, read on scrape (same value from every process)',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), timeoutMs);
      });
      try {
        const counts = await Promise.race([queue.getJobCounts(...QUEUE_STATES), timeout]);
        if (!counts) return;
        for (const state of QUEUE_STATES) this.set({ state }, counts[state] ?? 0);
      } catch {
        // Redis away: keep the last counts; the readiness probe reports the outage.
      } finally {
        clearTimeout(timer);
      }
    },
  });
}
