import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../../shared/config.js';
import { parseKeyring } from '../../shared/crypto.js';
import { asTenantId } from '../../shared/ids.js';
import { createLogger, type Logger } from '../../shared/logger.js';
import { createOktaHttp } from '../../shared/okta/okta-http.js';
import { openSyncQueues } from '../../shared/sharded-queues.js';
import { reconcileShardCount } from '../../shared/shard-count.js';
import { closeRedisConnection, createRedis, evictionPolicyProblem, logRedisErrors } from '../../shared/redis.js';
import { warnRiskySettings } from '../../shared/startup-warnings.js';
import { openStore } from '../../shared/store/open-store.js';
import { createHookMetrics } from '../../shared/telemetry/hook-metrics.js';
import { createMetrics } from '../../shared/telemetry/metrics.js';
import { instrumentOktaHttp } from '../../shared/telemetry/okta-telemetry.js';
import type { ApiDeps } from './api-deps.js';
import { checkApiKeys } from './api-key-policy.js';
import { buildApi } from './build-api.js';
import { runReleasers } from '../../shared/releasers.js';
import { openWebhookQueue } from '../../shared/webhooks/webhook-queue.js';
import { createTenantConnectedNotifier } from '../connect/tenant-connected-webhook.js';

export interface StartApiOptions {
  /** Port to listen on, default 3000 (0 = any free port). */
  port?: number;
  /** Interface to listen on, default `0.0.0.0`. */
  host?: string;
  /** Default: a pino JSON logger on stdout named `api` at LOG_LEVEL. */
  logger?: Logger;
  /**
   * Called when the check made once Redis answers fails: OKTA_SYNC_QUEUE_SHARDS changed while jobs
   * are pending (a `ConfigError`). The CLI exits 2; default: logged, /readyz stays 503.
   */
  onFatal?: (error: unknown) => void;
}

export interface ApiHandle {
  app: FastifyInstance;
  /** `http://host:port` the API listens on. */
  url: string;
  /** The METRICS_PORT server's URL, when METRICS_PORT is set. */
  metricsUrl?: string;
  /** Stops listening, waits for in-flight requests, then closes everything in reverse order. */
  close(): Promise<void>;
}

/** A hanging Redis or store must not hang the readiness probe's caller. */
const PING_TIMEOUT_MS = 2_000;

/** The API process's composition root (`okta-sync api`). */
export async function startApi(config: Config, options: StartApiOptions = {}): Promise<ApiHandle> {
  checkApiKeys(config.apiKeys);
  const logger = options.logger ?? createLogger({ level: config.logLevel, name: 'api' });
  const keyring = parseKeyring(config.encryptionKeys);
  warnRiskySettings(config, logger);
  const releasers: (() => Promise<unknown>)[] = [];
  try {
    const store = await openStore(config.storeUrl, { retention: config.retention });
    releasers.push(() => store.close());
    // Never wait for Redis before listening: ioredis reconnects with backoff, /readyz says 503 meanwhile.
    const redis = createRedis(config.redis);
    releasers.push(() => closeRedisConnection(redis));
    logRedisErrors(redis, logger);
    // Not ready (503) until the shard count is checked: no job is added under a count still refused.
    let shardsChecked = false;
    redis.once('ready', () => {
      void evictionPolicyProblem(redis).then((policy) => {
        if (policy) logger.warn({ policy }, 'Redis maxmemory-policy is not noeviction: BullMQ may lose jobs');
      });
      reconcileShardCount(redis, config.queuePrefix, config.queueShards).then(
        () => {
          shardsChecked = true;
        },
        (error: unknown) => {
          logger.error({ err: { message: (error as Error).message } }, 'queue shard check failed');
          options.onFatal?.(error);
        },
      );
    });
    const queues = openSyncQueues(redis, config.queuePrefix, config.queueShards);
    for (const queue of queues.queues) queue.on('error', () => undefined); // logged once per 10 s by logRedisErrors
    releasers.push(() => queues.close());
    const webhookQueue = openWebhookQueue(redis, config.queuePrefix);
    webhookQueue.on('error', () => undefined); // logged once per 10 s by logRedisErrors
    releasers.push(() => webhookQueue.close());
    const metrics = createMetrics({ queue: queues });
    const oktaHttp = instrumentOktaHttp(createOktaHttp({ headersTimeoutMs: 15_000, bodyTimeoutMs: 15_000 }));
    releasers.push(() => oktaHttp.close());
    const deps: ApiDeps = {
      config,
      store,
      queues,
      redis,
      keyring,
      logger,
      oktaHttp,
      metricsText: metrics.metricsText,
      hookMetrics: createHookMetrics(metrics.registry),
      webhookQueue,
      onTenantConnected: createTenantConnectedNotifier({ store, queue: webhookQueue }),
      ready: async () => {
        await withTimeout(Promise.all([redis.ping(), store.getTenant(asTenantId('readyz-probe'))]), PING_TIMEOUT_MS);
        return shardsChecked;
      },
    };
    const app = buildApi(deps);
    releasers.push(() => app.close());
    const port = options.port ?? 3000;
    const host = options.host ?? '0.0.0.0';
    await app.listen({ port, host });
    const address = app.server.address();
    const boundPort = typeof address === 'object' && address ? address.port : port;
    const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${boundPort}`;
    let metricsUrl: string | undefined;
    if (config.metricsPort !== undefined) {
      const server = await startMetricsServer(deps, config.metricsPort, host);
      releasers.push(() => new Promise((resolve) => server.close(resolve)));
      const a = server.address();
      metricsUrl = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${typeof a === 'object' && a ? a.port : config.metricsPort}`;
    }
    logger.info({ url, metricsUrl }, 'api listening');
    return { app, url, ...(metricsUrl ? { metricsUrl } : {}), close: () => runReleasers(releasers) };
  } catch (error) {
    await runReleasers(releasers);
    throw error;
  }
}

/**
 * METRICS_PORT: /metrics, /healthz and /readyz without auth on a port meant for the cluster's
 * scrapers and probes only (the main port keeps /metrics behind the bearer key).
 */
async function startMetricsServer(deps: ApiDeps, port: number, host: string): Promise<Server> {
  const server = createServer((req, res) => {
    void (async () => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET') return send(res, 405, 'text/plain', 'method not allowed\n');
      if (path === '/metrics') return send(res, 200, 'text/plain; version=0.0.4; charset=utf-8', await deps.metricsText());
      if (path === '/healthz') return send(res, 200, 'application/json', '{"status":"ok"}');
      if (path === '/readyz') {
        const ready = await deps.ready().catch(() => false);
        return ready
          ? send(res, 200, 'application/json', '{"status":"ready"}')
          : send(res, 503, 'application/json', '{"error":{"code":"not_ready","message":"Redis or the store is unavailable"}}');
      }
      return send(res, 404, 'text/plain', 'not found\n');
    })().catch(() => send(res, 500, 'text/plain', 'internal error\n'));
  });
  server.listen(port, host);
  await once(server, 'listening');
  return server;
}

function send(res: import('node:http').ServerResponse, status: number, type: string, body: string): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': type }).end(body);
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timed out')), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
