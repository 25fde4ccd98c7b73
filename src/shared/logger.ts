import { pino, type Logger, type DestinationStream } from 'pino';
import type { LogLevel } from './config.js';
import { traceMixin } from './telemetry/spans.js';

export type { Logger } from 'pino';

/** Keys whose values are secrets wherever they appear (two levels deep is where we put them). */
const SECRET_KEYS = [
  'clientSecret',
  'client_secret',
  'privateKeyPem',
  'privateKey',
  'accessToken',
  'access_token',
  'token',
  'assertion',
  'client_assertion',
  'authorization',
  'Authorization',
  'dpop',
  'DPoP',
  'password',
  'apiKey',
  'secret',
];

const REDACT_PATHS = [
  ...SECRET_KEYS,
  ...SECRET_KEYS.map((k) => `*.${k}`),
  ...SECRET_KEYS.map((k) => `*.*.${k}`),
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
];

export interface LoggerOptions {
  /** Minimum level, default `info`. */
  level?: LogLevel;
  /** Process role bound to every line (`api`, `worker`, `cli`…). */
  name?: string;
  /** Where lines go, default stdout (tests pass a capture stream). */
  destination?: DestinationStream;
}

/**
 * pino JSON logger with secret redaction. Lines written inside a span carry its `trace_id` and
 * `span_id` (the default mixin; a no-op when tracing is off).
 */
export function createLogger(options: LoggerOptions = {}, mixin: () => object = traceMixin): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      ...(options.name ? { name: options.name } : {}),
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      mixin,
    },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
