import type { Job, Worker } from 'bullmq';
import type { Config } from '../shared/config.js';
import { parseKeyring } from '../shared/crypto.js';
import { watchSchedulerId } from '../shared/jobs.js';
import type { Logger } from '../shared/logger.js';
import { createOktaClient } from '../shared/okta/okta-client.js';
import { createOktaHttp } from '../shared/okta/okta-http.js';
import { createRedisRateBudget } from '../shared/okta/rate-budget.js';
import { createTokenService } from '../shared/okta/token-service.js';
import { addPageJob } from '../shared/queue.js';
import { openSyncQueues } from '../shared/sharded-queues.js';
import { reconcileShardCount } from '../shared/shard-count.js';
import { createRedis, type Redis } from '../shared/redis.js';
import { openStore } from '../shared/store/open-store.js';
import { createPageProcessor } from './page-processor.js';
import { createFanOut } from './fan-out.js';
import { createFairnessGate } from './fairness-gate.js';
import { createScheduleProcessor } from './schedule-processor.js';
import { createPurgeProcessor, ensurePurgeSchedule } from './purge-processor.js';
import { createRunFinisher } from './run-finisher.js';
import { startHealthServer } from './health-server.js';
import { createMetrics } from '../shared/telemetry/metrics.js';
import { instrumentJobs } from '../shared/telemetry/job-telemetry.js';
import { instrumentOktaHttp, instrumentRateBudget, instrumentTokens } from '../shared/telemetry/okta-telemetry.js';
import { ATTR, SPAN, withLinkedTrace } from '../shared/telemetry/spans.js';
import { instrumentStore } from '../shared/telemetry/store-telemetry.js';
import { runStartupChecks } from './startup-checks.js';
import { runReleasers } from '../shared/releasers.js';
import { createRunNotifier, notifyingFinishedRuns } from './run-notifier.js';
import { reconcileRunWebhooks } from './webhook-reconcile.js';
import { startWebhookWorker } from './webhook-worker.js';
import { warnRiskySettings } from '../shared/startup-warnings.js';
import { responseCapFor } from './memory-budget.js';
import { slotsPerShard, startShardWorker } from './shard-worker.js';
import { createEventsProcessor } from './watch/events-processor.js';
import { createPollProcessor, forwardChangeEvents } from './watch/poll-processor.js';
import { createRefreshProcessor } from './watch/refresh-processor.js';

export interface WorkerOptions {
  /** Jobs run at once in this process, default `WORKER_CONCURRENCY` (split over its shards). */
  concurrency?: number;
  logger: Logger;
}

export interface WorkerHandle {
  /** The first shard's worker (the only one with one shard). */
  readonly worker: Worker;
  /** One BullMQ worker per consumed queue shard (`WORKER_SHARDS`, default all). */
  readonly workers: readonly Worker[];
  /** Port of the /healthz, /readyz, /metrics server; undefined when METRICS_PORT is unset. */
  readonly healthPort: number | undefined;
  /**
   * Readiness goes false, the worker stops taking jobs and waits for in-flight ones, then
   * everything closes in reverse order. Idempotent: a second call returns the same promise (the
   * caller enforces the grace period by exiting; a stalled job is picked up by another worker).
   */
  close(force?: boolean): Promise<void>;
}

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
    // Refuses a changed OKTA_SYNC_QUEUE_SHARDS while jobs are pending (exit 2), else records it.
    const reshard = await reconcileShardCount(redis, config.queuePrefix, config.queueShards);
    if (reshard.previous !== config.queueShards) logger.warn({ ...reshard, shards: config.queueShards }, 'queue shard count changed');
    // Outgoing webhooks: their own queue and worker; every run this process ends is notified (flow step 7).
    const webhooks = await startWebhookWorker({ config, redis, store: observedStore, keyring, metrics, logger });
    releasers.push(() => webhooks.close());
    const notifyRun = createRunNotifier({
      store: observedStore,
      queue: webhooks.queue,
      logger,
      // objects.changed names the run's cursor range in the change feed (none when it appended nothing).
      feedRange: async (run) => {
        const range = await observedStore.feedRangeOfRun(run.runId);
        return range ? { from: range.afterCursor, to: range.lastCursor } : undefined;
      },
    });
    const store = notifyingFinishedRuns(observedStore, notifyRun, logger);
    // Every shard of the sync queue: enqueuing goes to the tenant's shard, metrics sum them all.
    const shards = openSyncQueues(redis, config.queuePrefix, config.queueShards);
    releasers.push(() => shards.close());
    metrics.watchQueue(shards);
    const consumed = config.workerShards ?? shards.queues.map((_, i) => i);
    const slots = slotsPerShard(options.concurrency ?? config.workerConcurrency, consumed.length);
    // Every slot busy on the largest page the cap lets through still fits the memory budget.
    const http = instrumentOktaHttp(createOktaHttp({ maxBodyBytes: config.maxResponseBytes ?? responseCapFor(slots * consumed.length) }));
    releasers.push(() => http.close());
    const prefixFor = (tenantId: string) => shards.prefixFor(tenantId);
    const okta = createOktaClient({
      http,
      // Cluster-wide: per (tenant, bucket) windows from Okta's headers, and the tenant's in-flight cap.
      budget: instrumentRateBudget(createRedisRateBudget(redis, { keyPrefix: prefixFor, tenantConcurrency: config.tenantConcurrency })),
      // One token per (tenant, scope set) across the cluster: L1 here, L2 + fetch lock in Redis.
      tokens: instrumentTokens(createTokenService(http, { shared: { redis, keyring, queuePrefix: config.queuePrefix, prefixFor }, onEvent: metrics.tokenEvent })),
      onRequest: metrics.oktaRequest,
      maxResetAheadMs: config.maxRateWaitSeconds * 1000,
    });
    const processSchedule = createScheduleProcessor({ store, queues: shards, logger });
    const processPurge = createPurgeProcessor({
      store,
      retention: config.retention,
      logger,
      reconcile: (now) => reconcileRunWebhooks({ store, notify: notifyRun, logger }, now),
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
    // Flow step 8: watch polls → events jobs (also fed by Event Hook deliveries) → refresh jobs,
    // each added to its tenant's shard.
    const watchProcessors: Record<string, (job: Job, token?: string) => Promise<void>> = {
      watch: createPollProcessor({ ...tenantAccess, okta, queues: shards }),
      events: createEventsProcessor({ queues: shards, metrics, logger }),
      refresh: createRefreshProcessor({ ...tenantAccess, okta }),
    };
    const workers: Worker[] = [];
    for (const shard of consumed) {
      // Fan-out and fairness state of a run sit in the slot of the shard its jobs run in.
      const processor = createPageProcessor({
        store,
        okta,
        keyring,
        domainPolicy: { allowInsecureLoopback: config.allowInsecureLoopback, customDomains: config.customDomains },
        // Each next page is its own trace, linked to the page that enqueued it.
        enqueuePage: (job, opts) =>
          withLinkedTrace(SPAN.nextPage, { [ATTR.runId]: job.runId, [ATTR.page]: job.page }, () => addPageJob(shards.forTenant(job.tenantId), job, opts)),
        fanOut: createFanOut(redis, shards.prefixOf(shard)),
        fairness: createFairnessGate(redis, shards.prefixOf(shard)),
        finisher: createRunFinisher({ store }),
        logFirstSyncDays: config.logFirstSyncDays,
        maxPagesPerRun: config.maxPagesPerRun,
        maxCursors: Math.min(config.maxCursors, config.tenantConcurrency),
        rateShare: config.rateShare,
        // A watched tenant's logs run hands the changes it reads to the refresh mapping (shared cursor).
        onPolledEvents: async (tenantId, items) => {
          if (await shards.forTenant(tenantId).getJobScheduler(watchSchedulerId(tenantId))) await forwardChangeEvents(shards, tenantId, items);
        },
        logger,
      });
      const dispatch = instrumentJobs(
        (job: Job, token?: string) =>
          job.name === 'schedule'
            ? processSchedule(job)
            : job.name === 'purge'
              ? processPurge(job)
              : (watchProcessors[job.name] ?? processor)(job, token),
        metrics,
      );
      const worker = startShardWorker({ redis, prefix: shards.prefixOf(shard), concurrency: slots, dispatch, store, logger });
      workers.push(worker);
      releasers.push(() => worker.close());
    }
    await Promise.all(workers.map((w) => w.waitUntilReady()));
    // The one purge scheduler lives in shard 0 (any worker may upsert it: the id keeps it one).
    await ensurePurgeSchedule(shards.queue(0));
    phase = 'ready';
    logger.info({ concurrency: slots * workers.length, shards: consumed, healthPort: health?.port }, 'worker ready');
    let closing: Promise<void> | undefined;
    return {
      worker: workers[0] as Worker,
      workers,
      healthPort: health?.port,
      close: (force = false) => {
        // Readiness goes false before anything else, so the orchestrator stops counting on us.
        phase = 'draining';
        closing ??= (async () => {
          if (force) await Promise.all(workers.map((w) => w.close(true)));
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
