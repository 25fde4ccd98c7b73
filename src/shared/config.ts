import { ConfigError } from './errors.js';

/**
 * The process configuration, read from the environment once by the composition root and passed
 * down. This is the only module that reads `process.env`.
 */
export interface Config {
  /** `REDIS_URL`, default `redis://127.0.0.1:6379`. */
  redisUrl: string;
  /** True when `REDIS_URL` was not set (the demo may then start a private Redis). */
  redisUrlDefaulted: boolean;
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
  /** `OKTA_SYNC_RATE_SHARE`, default 0.5: fraction of each Okta rate-limit bucket we may spend. */
  rateShare: number;
  /** `OKTA_SYNC_TENANT_CONCURRENCY`, default 10: requests in flight per tenant across the cluster. */
  tenantConcurrency: number;
  /** `WORKER_CONCURRENCY`, default 10: jobs one worker process runs at once. */
  workerConcurrency: number;
  /** `QUEUE_PREFIX`, default `okta-sync`. */
  queuePrefix: string;
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
  /** True when any `OTEL_*` exporter setting is present; telemetry stays off otherwise. */
  otelEnabled: boolean;
  /** The `OTEL_*` variables, handed to the OpenTelemetry SDK untouched. */
  otelEnv: Record<string, string>;
  /**
   * `OKTA_SYNC_TRACE_FILE`: tests and debugging only. When set, every finished span of this process
   * is appended to that file as one JSON line (with or without an OTLP exporter). Unset = off.
   */
  traceFile: string | undefined;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

type Env = Record<string, string | undefined>;

/** Reads and validates the configuration; throws `ConfigError` naming the first bad variable. */
export function readConfig(env: Env = process.env): Config {
  const otelEnv = Object.fromEntries(
    Object.entries(env).filter((e): e is [string, string] => e[0].startsWith('OTEL_') && e[1] !== undefined),
  );
  return {
    redisUrl: redisUrl(env),
    redisUrlDefaulted: blank(env.REDIS_URL),
    storeUrl: storeUrl(env),
    encryptionKeys: blank(env.OKTA_SYNC_ENCRYPTION_KEYS) ? undefined : env.OKTA_SYNC_ENCRYPTION_KEYS,
    apiKeys: list(env.OKTA_SYNC_API_KEYS),
    allowInsecureLoopback: bool(env, 'OKTA_SYNC_ALLOW_INSECURE_LOOPBACK', false),
    customDomains: list(env.OKTA_SYNC_CUSTOM_DOMAINS).map((d) => d.toLowerCase()),
    rateShare: num(env, 'OKTA_SYNC_RATE_SHARE', 0.5, { min: 0.01, max: 1 }),
    tenantConcurrency: int(env, 'OKTA_SYNC_TENANT_CONCURRENCY', 10, { min: 1, max: 75 }),
    workerConcurrency: int(env, 'WORKER_CONCURRENCY', 10, { min: 1, max: 1000 }),
    queuePrefix: queuePrefix(env),
    logLevel: logLevel(env),
    metricsPort: blank(env.METRICS_PORT) ? undefined : int(env, 'METRICS_PORT', 0, { min: 0, max: 65535 }),
    shutdownGraceMs: int(env, 'SHUTDOWN_GRACE_MS', 25_000, { min: 0, max: 3_600_000 }),
    maxCursors: int(env, 'OKTA_SYNC_MAX_CURSORS', 8, { min: 1, max: 64 }),
    logFirstSyncDays: int(env, 'OKTA_SYNC_LOG_FIRST_SYNC_DAYS', 7, { min: 1, max: 90 }),
    otelEnabled: Boolean(
      otelEnv.OTEL_EXPORTER_OTLP_ENDPOINT ||
        otelEnv.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ||
        (otelEnv.OTEL_TRACES_EXPORTER && otelEnv.OTEL_TRACES_EXPORTER !== 'none'),
    ),
    otelEnv,
    traceFile: blank(env.OKTA_SYNC_TRACE_FILE) ? undefined : env.OKTA_SYNC_TRACE_FILE,
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
  return value;
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

function queuePrefix(env: Env): string {
  const value = env.QUEUE_PREFIX;
  if (blank(value)) return 'okta-sync';
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(value)) {
    throw new ConfigError('QUEUE_PREFIX', 'must be 1-64 letters, digits, "_", "." or "-"');
  }
  return value;
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
