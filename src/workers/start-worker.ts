import { type Job, Worker } from 'bullmq';
import type { Config } from '../shared/config.js';
import { parseKeyring } from '../shared/crypto.js';
import { SYNC_QUEUE, watchSchedulerId } from '../shared/jobs.js';
import type { Logger } from '../shared/logger.js';
import { createOktaClient } from '../shared/okta/okta-client.js';
import { createOktaHttp } from '../shared/okta/okta-http.js';
import { createRedisRateBudget } from '../shared/okta/rate-budget.js';
import { createTokenService } from '../shared/okta/token-service.js';
import { addPageJob, openSyncQueue } from '../shared/queue.js';
import { createRedis, keyPrefix, type Redis } from '../shared/redis.js';
import { openStore } from '../shared/store/open-store.js';
import { backoffMs } from './job-outcome.js';
import { createPageProcessor } from './page-processor.js';
import { createFanOut } from './fan-out.js';
import { createFairnessGate } from './fairness-gate.js';
import { createScheduleProcessor } from './schedule-processor.js';
import { createPurgeProcessor, ensurePurgeSchedule } from './purge-processor.js';
import { createRunFinisher, failRun } from './run-finisher.js';
import { asRunId } from '../shared/ids.js';
import { startHealthServer } from './health-server.js';
import { createMetrics } from '../shared/telemetry/metrics.js';
import { instrumentJobs } from '../shared/telemetry/job-telemetry.js';
import { instrumentOktaHttp, instrumentRateBudget, instrumentTokens } from '../shared/telemetry/okta-telemetry.js';
import { queueTelemetry } from '../shared/telemetry/queue-telemetry.js';
import { ATTR, SPAN, withLinkedTrace } from '../shared/telemetry/spans.js';
import { instrumentStore } from '../shared/telemetry/store-telemetry.js';
import { runStartupChecks } from './startup-checks.js';
import { runReleasers } from '../shared/releasers.js';
import { createRunNotifier, notifyingFinishedRuns } from './run-notifier.js';
import { startWebhookWorker } from './webhook-worker.js';
import { warnRiskySettings } from '../shared/startup-warnings.js';
import { clipText } from '../shared/clip-text.js';
import { jobOwnsRun } from './job-ownership.js';
import { responseCapFor } from './memory-budget.js';
import { createEventsProcessor } from './watch/events-processor.js';
import { createPollProcessor, forwardChangeEvents } from './watch/poll-processor.js';
import { createRefreshProcessor } from './watch/refresh-processor.js';

export interface WorkerOptions {
  /** Jobs run at once in this process, default `WORKER_CONCURRENCY`. */
  concurrency?: number;
  logger: Logger;
}

export interface WorkerHandle {
  readonly worker: Worker;
  /** Port of the /healthz, /readyz, /metrics server; undefined when METRICS_PORT is unset. */
  readonly healthPort: number | undefined;
  /**
   * Readiness goes false, the worker stops taking jobs and waits for in-flight ones, then
   * everything closes in reverse order. Idempotent: a second call returns the same promise (the
   * caller enforces the grace period by exiting; a stalled job is picked up by another worker).
   */
  close(force?: boolean): Promise<void>;
}

/** Lock settings: a killed worker's job is picked up again within ~15 s. */
const LOCK_DURATION_MS = 15_000;
const STALLED_INTERVAL_MS = 5_000;
/** A page job that stalls (its worker died) is safe to rerun: pages are idempotent. */
const MAX_STALLED = 10;

/** The worker process's composition root: builds everything it needs and returns its closer. */
export async function startWorker(config: Config, options: WorkerOptions): Promise<WorkerHandle> {
  const releasers: (() => Promise<unknown>)[] = [];
  const logger = options.logger;
  let phase: 'starting' | 'ready' | 'draining' = 'starting';
  let redisStatus = (): string => 'not connected';
  try {
    const metrics = createMetrics();
    const health =
      config.metricsPort === undefined
        ? undefined
        : await startHealthServer({
            port: config.metricsPort,
            metrics: metrics.registry,
            readiness: () => readiness(phase, redisStatus()),
          });
    if (health) releasers.push(() => health.close());
    warnRiskySettings(config, logger);
    const keyring = parseKeyring(config.encryptionKeys);
    const feed = { enabled: config.changeFeed, onAppended: metrics.feedAppended };
    const observedStore = instrumentStore(await openStore(config.storeUrl, { feed, retention: config.retention }), metrics);
    releasers.push(() => observedStore.close());
    const redis = createRedis(config.redis);
    releasers.push(() => closeRedis(redis));
    redis.on('error', redisErrorLogger(logger));
    redisStatus = () => redis.status;
    await runStartupChecks({ redis, store: observedStore, keyring, logger });
    // Outgoing webhooks: their own queue and worker; every run this process ends is notified (flow step 7).
    const webhooks = await startWebhookWorker({ config, redis, store: observedStore, keyring, metrics, logger });
    releasers.push(() => webhooks.close());
    const store = notifyingFinishedRuns(observedStore, createRunNotifier({
        store: observedStore,
        queue: webhooks.queue,
        logger,
        // objects.changed names the run's cursor range in the change feed (none when it appended nothing).
        feedRange: async (run) => {
          const range = await observedStore.feedRangeOfRun(run.runId);
          return range ? { from: range.afterCursor, to: range.lastCursor } : undefined;
        },
      }), logger);
    const queue = openSyncQueue(redis, config.queuePrefix);
    releasers.push(() => queue.close());
    metrics.watchQueue(queue);
    const concurrency = options.concurrency ?? config.workerConcurrency;
    // Every slot busy on the largest page the cap lets through still fits the memory budget.
    const http = instrumentOktaHttp(createOktaHttp({ maxBodyBytes: config.maxResponseBytes ?? responseCapFor(concurrency) }));
    releasers.push(() => http.close());
    const okta = createOktaClient({
      http,
      // Cluster-wide: per (tenant, bucket) windows from Okta's headers, and the tenant's in-flight cap.
      budget: instrumentRateBudget(createRedisRateBudget(redis, { keyPrefix: keyPrefix(config.queuePrefix), tenantConcurrency: config.tenantConcurrency })),
      // One token per (tenant, scope set) across the cluster: L1 here, L2 + fetch lock in Redis.
      tokens: instrumentTokens(createTokenService(http, { shared: { redis, keyring, queuePrefix: config.queuePrefix }, onEvent: metrics.tokenEvent })),
      onRequest: metrics.oktaRequest,
      maxResetAheadMs: config.maxRateWaitSeconds * 1000,
    });
    const processor = createPageProcessor({
      store,
      okta,
      keyring,
      domainPolicy: { allowInsecureLoopback: config.allowInsecureLoopback, customDomains: config.customDomains },
      // Each next page is its own trace, linked to the page that enqueued it.
      enqueuePage: (job, opts) => withLinkedTrace(SPAN.nextPage, { [ATTR.runId]: job.runId, [ATTR.page]: job.page }, () => addPageJob(queue, job, opts)),
      fanOut: createFanOut(redis, keyPrefix(config.queuePrefix)),
      fairness: createFairnessGate(redis, keyPrefix(config.queuePrefix)),
      finisher: createRunFinisher({ store }),
      logFirstSyncDays: config.logFirstSyncDays,
      maxPagesPerRun: config.maxPagesPerRun,
      maxCursors: Math.min(config.maxCursors, config.tenantConcurrency),
      rateShare: config.rateShare,
      // A watched tenant's logs run hands the changes it reads to the refresh mapping (shared cursor).
      onPolledEvents: async (tenantId, items) => {
        if (await queue.getJobScheduler(watchSchedulerId(tenantId))) await forwardChangeEvents(queue, tenantId, items);
      },
      logger,
    });
    const tenantAccess = {
      store,
      keyring,
      domainPolicy: { allowInsecureLoopback: config.allowInsecureLoopback, customDomains: config.customDomains },
      rateShare: config.rateShare,
      redis,
      queuePrefix: config.queuePrefix,
      metrics,
      logger,
    };
    // Flow step 8: watch polls → events jobs (also fed by Event Hook deliveries) → refresh jobs.
    const watchProcessors: Record<string, (job: Job, token?: string) => Promise<void>> = {
      watch: createPollProcessor({ ...tenantAccess, okta, queue }),
      events: createEventsProcessor({ queue, metrics, logger }),
      refresh: createRefreshProcessor({ ...tenantAccess, okta }),
    };
    const processSchedule = createScheduleProcessor({ store, queue, logger });
    const processPurge = createPurgeProcessor({ store, retention: config.retention, logger });
    const dispatch = instrumentJobs(
      (job: Job, token?: string) =>
        job.name === 'schedule'
          ? processSchedule(job)
          : job.name === 'purge'
            ? processPurge(job)
            : (watchProcessors[job.name] ?? processor)(job, token),
      metrics,
    );
    const worker = new Worker(SYNC_QUEUE, dispatch, {
      connection: redis,
      prefix: keyPrefix(config.queuePrefix),
      concurrency,
      lockDuration: LOCK_DURATION_MS,
      stalledInterval: STALLED_INTERVAL_MS,
      maxStalledCount: MAX_STALLED,
      settings: { backoffStrategy: (attemptsMade: number) => backoffMs(attemptsMade) },
      ...queueTelemetry(),
    });
    // A job that failed outside the processor's control (stalled too often) still ends its run.
    worker.on('failed', (job) => {
      const { runId, tenantId, resource } = (job?.data ?? {}) as { runId?: unknown; tenantId?: unknown; resource?: unknown };
      if (typeof runId !== 'string' || typeof tenantId !== 'string' || typeof resource !== 'string') return;
      // 'failed' also fires for attempts that will be retried: only a job that stays failed ends the run.
      void (async () => {
        if (!job || (await job.getState()) !== 'failed') return;
        const run = await store.getRun(asRunId(runId));
        // A refused job (another tenant's run) must not end that run either.
        if (run && jobOwnsRun({ tenantId, resource }, run)) {
          await failRun(store, run, { code: 'job_failed', message: clipText(job.failedReason ?? 'job failed') });
        }
      })().catch((err: Error) => logger.warn({ err: { message: err.message } }, 'could not record a failed job'));
    });
    worker.on('error', (err) => logger.error({ err: { message: clipText(err.message) } }, 'worker error'));
    releasers.push(() => worker.close());
    await worker.waitUntilReady();
    await ensurePurgeSchedule(queue);
    phase = 'ready';
    logger.info({ concurrency: worker.opts.concurrency, healthPort: health?.port }, 'worker ready');
    let closing: Promise<void> | undefined;
    return {
      worker,
      healthPort: health?.port,
      close: (force = false) => {
        // Readiness goes false before anything else, so the orchestrator stops counting on us.
        phase = 'draining';
        closing ??= (async () => {
          if (force) await worker.close(true);
          await runReleasers(releasers);
        })();
        return closing;
      },
    };
  } catch (error) {
    await runReleasers(releasers);
    throw error;
  }
}

function readiness(phase: 'starting' | 'ready' | 'draining', redisStatus: string): { ready: true } | { ready: false; reason: string } {
  if (phase !== 'ready') return { ready: false, reason: phase };
  if (redisStatus !== 'ready') return { ready: false, reason: `redis ${redisStatus}` };
  return { ready: true };
}

/** ioredis prints every failed reconnect to stderr unless the connection has a listener: log them, once per 10 s. */
function redisErrorLogger(logger: Logger): (err: Error) => void {
  let last = 0;
  return (err) => {
    if (Date.now() - last < 10_000) return;
    last = Date.now();
    logger.warn({ err: { message: err.message } }, 'redis connection error (retrying)');
  };
}

/** `quit()` waits for Redis to answer, forever while it is unreachable: then just disconnect. */
async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'ready') {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise((resolve) => {
      timer = setTimeout(resolve, 5_000);
    });
    await Promise.race([redis.quit(), timeout]).catch(() => undefined);
    clearTimeout(timer);
  }
  redis.disconnect();
}
