import { isIP } from 'node:net';
import { ConfigError } from './errors.js';
import type { RetentionPolicy } from './store/sync-store.js';
import { MAX_QUEUE_SHARDS } from './queue-shards.js';
import { parseNatMap, parseNodes, type RedisTarget } from './redis-target.js';

/**
 * The process configuration, read from the environment once by the composition root and passed
 * down. This is the only module that reads `process.env`.
 */
export interface Config {
  /** `REDIS_URL`, default `redis://127.0.0.1:6379` (the default in cluster and Sentinel mode, where it is ignored). */
  redisUrl: string;
  /** True when `REDIS_URL` was not set (the demo may then start a private Redis). */
  redisUrlDefaulted: boolean;
  /**
   * Where Redis is: `REDIS_CLUSTER_NODES` (Redis Cluster seeds), else `REDIS_SENTINELS` +
   * `REDIS_SENTINEL_NAME` (Sentinel), else `REDIS_URL`. `REDIS_PASSWORD`, `REDIS_TLS` and
   * `REDIS_CLUSTER_NAT_MAP` apply to the cluster and Sentinel modes (the URL carries its own).
   */
  redis: RedisTarget;
  /** `STORE_URL`, default `sqlite:./data/okta-sync.db`. */
  storeUrl: string;
  /** `OKTA_SYNC_ENCRYPTION_KEYS` as written (`kid:base64[,kid:base64]`); parsed by the keyring. */
  encryptionKeys: string | undefined;
  /** `OKTA_SYNC_API_KEYS`, comma separated bearer keys for the HTTP API. */
  apiKeys: string[];
  /** `OKTA_SYNC_ALLOW_INSECURE_LOOPBACK`, default false: lets a tenant domain be 127.0.0.1:PORT over http. */
  allowInsecureLoopback: boolean;
  /** `OKTA_SYNC_CUSTOM_DOMAINS`: extra allowed tenant hosts (custom Okta domains), comma separated. */
  customDomains: string[];
  /**
   * `OKTA_SYNC_WEBHOOK_ALLOW`: hosts (exact names) and IPs or CIDRs that outgoing webhooks may reach
   * although they resolve to private, loopback or link-local addresses; comma separated, default none.
   */
  webhookAllow: string[];
  /** `OKTA_SYNC_RATE_SHARE`, default 0.5: fraction of each Okta rate-limit bucket we may spend. */
  rateShare: number;
  /** `OKTA_SYNC_TENANT_CONCURRENCY`, default 10: requests in flight per tenant across the cluster. */
  tenantConcurrency: number;
  /** `WORKER_CONCURRENCY`, default 10: jobs one worker process runs at once. */
  workerConcurrency: number;
  /** `QUEUE_PREFIX`, default `okta-sync`. */
  queuePrefix: string;
  /**
   * `OKTA_SYNC_QUEUE_SHARDS`, default 1: sync queues (hash tags, so Redis Cluster slots) tenants are
   * spread over; 1 keeps the `{prefix}` layout. Changing it: drain, stop everything, restart.
   */
  queueShards: number;
  /** `WORKER_SHARDS`: the shards this worker consumes (`0,2`); unset = every shard. */
  workerShards: number[] | undefined;
  /** `LOG_LEVEL`, default `info`. */
  logLevel: LogLevel;
  /** `METRICS_PORT`: where a worker serves /metrics, /healthz and /readyz; unset = no server. */
  metricsPort: number | undefined;
  /** `SHUTDOWN_GRACE_MS`, default 25000: how long a draining worker waits for in-flight jobs. */
  shutdownGraceMs: number;
  /**
   * `OKTA_SYNC_MAX_CURSORS`, default 8: page chains one run lists at once (ranges of a full users
   * run). The rate budget decides how many are worth it; this caps them.
   */
  maxCursors: number;
  /** `OKTA_SYNC_LOG_FIRST_SYNC_DAYS`, default 7: how far back a first System Log sync starts (max 90). */
  logFirstSyncDays: number;
  /**
   * `OKTA_SYNC_CHANGE_FEED`, default true. False makes workers write no change-feed entries:
   * only for measuring the feed's cost (bench "change feed"); consumers then miss changes.
   */
  changeFeed: boolean;
  /**
   * `OKTA_SYNC_MAX_RESPONSE_BYTES`: the largest Okta response body a worker reads (after gzip);
   * unset = sized from the worker's concurrency so that all slots busy on the largest pages fit
   * its memory budget (`responseCapFor`: 4 MiB at concurrency 10).
   */
  maxResponseBytes: number | undefined;
  /** `OKTA_SYNC_MAX_PAGES_PER_RUN`, default 100000: a run with more pages (every chain counted) fails as `pagination_loop`. */
  maxPagesPerRun: number;
  /** `OKTA_SYNC_MAX_RATE_WAIT_SECONDS`, default 120 (two Okta windows): the furthest a rate-limit reset may push a wait. */
  maxRateWaitSeconds: number;
  /**
   * Store retention: `OKTA_SYNC_TOMBSTONE_DAYS` (30), `OKTA_SYNC_RUN_HISTORY_DAYS` (90),
   * `OKTA_SYNC_CHANGES_DAYS` (7), `OKTA_SYNC_LOG_EVENT_DAYS` (90). Whole days, 1 to 3650.
   */
  retention: RetentionPolicy;
  /** True when any `OTEL_*` exporter setting is present; telemetry stays off otherwise. */
  otelEnabled: boolean;
  /** The `OTEL_*` variables, handed to the OpenTelemetry SDK untouched. */
  otelEnv: Record<string, string>;
  /**
   * `OKTA_SYNC_TRACE_FILE`: tests and debugging only. When set, every finished span of this process
   * is appended to that file as one JSON line (with or without an OTLP exporter). Unset = off.
   */
  traceFile: string | undefined;
  /**
   * `OKTA_SYNC_PUBLIC_URL`: the address customers reach the API at (`https://sync.example.com`,
   * optionally with a path prefix); connect links are built on it. Unset: built from the request
   * that creates the link (its Host header and protocol), fine when nothing proxies the API.
   */
  publicUrl: string | undefined;
  /** `OKTA_SYNC_CONNECT_RETURN_ALLOW`: origins a connect link's `returnUrl` may point to; empty = none. */
  connectReturnAllow: string[];
  /** `OKTA_SYNC_ADMIN_WRITE`, default false: Bull Board may retry, remove or add jobs only when true. */
  adminWrite: boolean;
  /**
   * `OKTA_SYNC_TRUST_PROXY`, default false: the API believes `X-Forwarded-Proto`/`-For` (set it
   * behind a TLS-terminating proxy or ingress). `true`, or a comma-separated list of proxy
   * addresses/CIDRs, as fastify's `trustProxy` takes it.
   */
  trustProxy: boolean | string[];
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

type Env = Record<string, string | undefined>;

/** Reads and validates the configuration; throws `ConfigError` naming the first bad variable. */
export function readConfig(env: Env = process.env): Config {
  const otelEnv = Object.fromEntries(
    Object.entries(env).filter((e): e is [string, string] => e[0].startsWith('OTEL_') && e[1] !== undefined),
  );
  const redis = redisTarget(env);
  const queueShards = int(env, 'OKTA_SYNC_QUEUE_SHARDS', 1, { min: 1, max: MAX_QUEUE_SHARDS });
  return {
    redisUrl: redis.mode === 'single' ? redis.url : 'redis://127.0.0.1:6379',
    redisUrlDefaulted: blank(env.REDIS_URL) && blank(env.REDIS_CLUSTER_NODES) && blank(env.REDIS_SENTINELS),
    redis,
    storeUrl: storeUrl(env),
    encryptionKeys: blank(env.OKTA_SYNC_ENCRYPTION_KEYS) ? undefined : env.OKTA_SYNC_ENCRYPTION_KEYS,
    apiKeys: list(env.OKTA_SYNC_API_KEYS),
    allowInsecureLoopback: bool(env, 'OKTA_SYNC_ALLOW_INSECURE_LOOPBACK', false),
    customDomains: list(env.OKTA_SYNC_CUSTOM_DOMAINS).map((d) => d.toLowerCase()),
    webhookAllow: webhookAllow(env),
    rateShare: num(env, 'OKTA_SYNC_RATE_SHARE', 0.5, { min: 0.01, max: 1 }),
    tenantConcurrency: int(env, 'OKTA_SYNC_TENANT_CONCURRENCY', 10, { min: 1, max: 75 }),
    workerConcurrency: int(env, 'WORKER_CONCURRENCY', 10, { min: 1, max: 1000 }),
    queuePrefix: queuePrefix(env),
    queueShards,
    workerShards: workerShards(env, queueShards),
    logLevel: logLevel(env),
    metricsPort: blank(env.METRICS_PORT) ? undefined : int(env, 'METRICS_PORT', 0, { min: 0, max: 65535 }),
    shutdownGraceMs: int(env, 'SHUTDOWN_GRACE_MS', 25_000, { min: 0, max: 3_600_000 }),
    maxCursors: int(env, 'OKTA_SYNC_MAX_CURSORS', 8, { min: 1, max: 64 }),
    logFirstSyncDays: int(env, 'OKTA_SYNC_LOG_FIRST_SYNC_DAYS', 7, { min: 1, max: 90 }),
    changeFeed: bool(env, 'OKTA_SYNC_CHANGE_FEED', true),
    maxResponseBytes: blank(env.OKTA_SYNC_MAX_RESPONSE_BYTES)
      ? undefined
      : int(env, 'OKTA_SYNC_MAX_RESPONSE_BYTES', 0, { min: 64 * 1024, max: 256 * 1024 * 1024 }),
    maxPagesPerRun: int(env, 'OKTA_SYNC_MAX_PAGES_PER_RUN', 100_000, { min: 1, max: 100_000_000 }),
    maxRateWaitSeconds: int(env, 'OKTA_SYNC_MAX_RATE_WAIT_SECONDS', 120, { min: 1, max: 3600 }),
    retention: {
      tombstoneDays: int(env, 'OKTA_SYNC_TOMBSTONE_DAYS', 30, { min: 1, max: 3650 }),
      runHistoryDays: int(env, 'OKTA_SYNC_RUN_HISTORY_DAYS', 90, { min: 1, max: 3650 }),
      changesDays: int(env, 'OKTA_SYNC_CHANGES_DAYS', 7, { min: 1, max: 3650 }),
      logEventDays: int(env, 'OKTA_SYNC_LOG_EVENT_DAYS', 90, { min: 1, max: 3650 }),
    },
    otelEnabled: Boolean(
      otelEnv.OTEL_EXPORTER_OTLP_ENDPOINT ||
        otelEnv.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ||
        (otelEnv.OTEL_TRACES_EXPORTER && otelEnv.OTEL_TRACES_EXPORTER !== 'none'),
    ),
    otelEnv,
    traceFile: blank(env.OKTA_SYNC_TRACE_FILE) ? undefined : env.OKTA_SYNC_TRACE_FILE,
    publicUrl: publicUrl(env),
    connectReturnAllow: list(env.OKTA_SYNC_CONNECT_RETURN_ALLOW).map((o) => origin('OKTA_SYNC_CONNECT_RETURN_ALLOW', o)),
    adminWrite: bool(env, 'OKTA_SYNC_ADMIN_WRITE', false),
    trustProxy: trustProxy(env),
  };
}

function blank(value: string | undefined): value is undefined {
  return value === undefined || value.trim() === '';
}

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

function redisUrl(env: Env): string {
  const value = env.REDIS_URL;
  if (blank(value)) return 'redis://127.0.0.1:6379';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError('REDIS_URL', 'is not a URL (expected redis://host:port[/db] or rediss://…)');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new ConfigError('REDIS_URL', `has scheme "${url.protocol}" (expected redis: or rediss:)`);
  }
  if (!url.hostname) throw new ConfigError('REDIS_URL', 'has no host');
  // BullMQ on Redis Cluster has only db 0, and ioredis would otherwise fail SELECT over and over:
  // refuse any other index instead of silently using db 0 (separate deployments by QUEUE_PREFIX).
  const db = url.pathname.replace(/^\//, '');
  if (db !== '' && db !== '0') {
    throw new ConfigError('REDIS_URL', `selects db "${db}": only db 0 is supported (separate deployments with QUEUE_PREFIX)`);
  }
  return value;
}

function redisTarget(env: Env): RedisTarget {
  const password = blank(env.REDIS_PASSWORD) ? {} : { password: env.REDIS_PASSWORD };
  if (!blank(env.REDIS_CLUSTER_NODES)) {
    const natMap = blank(env.REDIS_CLUSTER_NAT_MAP) ? {} : { natMap: parseNatMap('REDIS_CLUSTER_NAT_MAP', env.REDIS_CLUSTER_NAT_MAP) };
    return { mode: 'cluster', nodes: parseNodes('REDIS_CLUSTER_NODES', env.REDIS_CLUSTER_NODES), tls: bool(env, 'REDIS_TLS', false), ...password, ...natMap };
  }
  if (!blank(env.REDIS_SENTINELS)) {
    const sentinels = parseNodes('REDIS_SENTINELS', env.REDIS_SENTINELS);
    if (blank(env.REDIS_SENTINEL_NAME)) throw new ConfigError('REDIS_SENTINEL_NAME', 'is required with REDIS_SENTINELS (the monitored primary\'s name)');
    return { mode: 'sentinel', sentinels, name: env.REDIS_SENTINEL_NAME.trim(), tls: bool(env, 'REDIS_TLS', false), ...password };
  }
  if (!blank(env.REDIS_SENTINEL_NAME)) throw new ConfigError('REDIS_SENTINELS', 'is required with REDIS_SENTINEL_NAME (host:port,host:port)');
  return { mode: 'single', url: redisUrl(env) };
}

function storeUrl(env: Env): string {
  const value = env.STORE_URL;
  if (blank(value)) return 'sqlite:./data/okta-sync.db';
  if (value.startsWith('sqlite:')) {
    if (value.length === 'sqlite:'.length) throw new ConfigError('STORE_URL', 'sqlite: needs a file path');
    return value;
  }
  if (value.startsWith('mongodb://') || value.startsWith('mongodb+srv://')) {
    try {
      // The driver accepts host lists that URL cannot parse; only reject obviously broken values.
      if (!/^mongodb(\+srv)?:\/\/[^/\s]+/.test(value)) throw new Error('no host');
    } catch {
      throw new ConfigError('STORE_URL', 'is not a valid mongodb:// URL');
    }
    return value;
  }
  throw new ConfigError('STORE_URL', 'must start with sqlite: or mongodb:// (or mongodb+srv://)');
}

function webhookAllow(env: Env): string[] {
  const entries = list(env.OKTA_SYNC_WEBHOOK_ALLOW).map((e) => e.toLowerCase());
  for (const entry of entries) {
    const [address, prefix, extra] = entry.split('/');
    const family = isIP(address ?? '');
    const validPrefix = prefix === undefined || (/^[0-9]{1,3}$/.test(prefix) && Number(prefix) <= (family === 6 ? 128 : 32));
    const hostname = prefix === undefined && family === 0 && /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(entry);
    if (extra !== undefined || !(hostname || (family !== 0 && validPrefix))) {
      throw new ConfigError('OKTA_SYNC_WEBHOOK_ALLOW', `entry "${entry}" is neither a host name nor an IP address or CIDR`);
    }
  }
  return entries;
}

function httpUrl(name: string, value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(name, `has "${value.slice(0, 80)}", not a URL (expected https://host[:port])`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigError(name, 'must be an http(s) URL');
  if (url.username || url.password || url.search || url.hash) throw new ConfigError(name, 'must not carry a user, query or fragment');
  return url;
}

function publicUrl(env: Env): string | undefined {
  const value = env.OKTA_SYNC_PUBLIC_URL;
  if (blank(value)) return undefined;
  return httpUrl('OKTA_SYNC_PUBLIC_URL', value.trim()).href.replace(/\/+$/, '');
}

/** `https://app.example.com` exactly: an origin, no path. */
function origin(name: string, value: string): string {
  const url = httpUrl(name, value);
  if (url.pathname !== '/') throw new ConfigError(name, `"${value.slice(0, 80)}" must be an origin such as https://app.example.com (no path)`);
  return url.origin;
}

function trustProxy(env: Env): boolean | string[] {
  const value = env.OKTA_SYNC_TRUST_PROXY;
  if (blank(value) || /^(false|0|no)$/i.test(value)) return false;
  if (/^(true|1|yes)$/i.test(value)) return true;
  const entries = list(value);
  if (entries.some((e) => !/^[0-9A-Fa-f:.]+(\/\d{1,3})?$/.test(e))) {
    throw new ConfigError('OKTA_SYNC_TRUST_PROXY', 'must be true, false or a comma-separated list of proxy IPs/CIDRs');
  }
  return entries;
}

function queuePrefix(env: Env): string {
  const value = env.QUEUE_PREFIX;
  if (blank(value)) return 'okta-sync';
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(value)) {
    throw new ConfigError('QUEUE_PREFIX', 'must be 1-64 letters, digits, "_", "." or "-"');
  }
  return value;
}

function workerShards(env: Env, count: number): number[] | undefined {
  const value = env.WORKER_SHARDS;
  if (blank(value)) return undefined;
  const entries = list(value);
  const shards = entries.map(Number);
  if (entries.length === 0 || shards.some((n) => !Number.isInteger(n) || n < 0 || n >= count) || entries.some((e) => !/^[0-9]+$/.test(e))) {
    throw new ConfigError('WORKER_SHARDS', `must list shard numbers from 0 to ${count - 1} (OKTA_SYNC_QUEUE_SHARDS=${count}), e.g. 0,2`);
  }
  return [...new Set(shards)].sort((a, b) => a - b);
}

function logLevel(env: Env): LogLevel {
  const value = env.LOG_LEVEL;
  if (blank(value)) return 'info';
  const level = LOG_LEVELS.find((l) => l === value.toLowerCase());
  if (!level) throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);
  return level;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const value = env[name];
  if (blank(value)) return fallback;
  if (/^(true|1|yes)$/i.test(value)) return true;
  if (/^(false|0|no)$/i.test(value)) return false;
  throw new ConfigError(name, 'must be true or false');
}

interface Range {
  min: number;
  max: number;
}

function num(env: Env, name: string, fallback: number, range: Range): number {
  const value = env[name];
  if (blank(value)) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < range.min || n > range.max) {
    throw new ConfigError(name, `must be a number from ${range.min} to ${range.max}`);
  }
  return n;
}

function int(env: Env, name: string, fallback: number, range: Range): number {
  const value = env[name];
  if (blank(value)) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < range.min || n > range.max) {
    throw new ConfigError(name, `must be a whole number from ${range.min} to ${range.max}`);
  }
  return n;
}

/** The environment for a child process of ours: this process's environment plus `overrides`. */
export function childEnv(overrides: Record<string, string>): NodeJS.ProcessEnv {
  return { ...process.env, ...overrides };
}
