import { register } from 'node:module';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { MongoDBInstrumentation } from '@opentelemetry/instrumentation-mongodb';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, ConsoleSpanExporter, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createAddHookMessageChannel } from 'import-in-the-middle';
import type { Config } from '../config.js';
import { ConfigError } from '../errors.js';
import { RedactingSpanProcessor } from './redacting-span-processor.js';
import { TraceFileProcessor } from './trace-file-processor.js';

/** What `startTracing` needs from the configuration. */
export type TracingConfig = Pick<Config, 'otelEnabled' | 'otelEnv' | 'traceFile'>;

/** Probe and scrape paths: not worth a trace each. */
const UNTRACED_PATHS = /^\/(healthz|readyz|metrics)(\?|$)/;

/**
 * Starts the OpenTelemetry NodeSDK: W3C propagation, the undici/http/ioredis/mongodb
 * instrumentations, an OTLP exporter (http/protobuf or http/json, from the standard `OTEL_*`
 * variables) when one is configured, and the trace file when `OKTA_SYNC_TRACE_FILE` is set.
 * Only `register.ts` imports this module, and only when tracing is on: off, nothing here loads.
 */
export async function startTracing(config: TracingConfig, role: string): Promise<NodeSDK> {
  // ESM: instrumentations patch ioredis/mongodb through import-in-the-middle's loader hook, which
  // must be in place before those modules are imported (register.ts runs before the CLI).
  const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
  register('import-in-the-middle/hook.mjs', import.meta.url, registerOptions);

  const processors: SpanProcessor[] = [new RedactingSpanProcessor()];
  if (config.otelEnabled) processors.push(new BatchSpanProcessor(await traceExporter(config.otelEnv)));
  if (config.traceFile) processors.push(new TraceFileProcessor(config.traceFile));
  const sdk = new NodeSDK({
    // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES still win (the env detector merges last).
    resource: defaultResource().merge(resourceFromAttributes({ 'service.name': `okta-sync-${role}`, 'service.namespace': 'okta-sync' })),
    spanProcessors: processors,
    // Metrics are Prometheus (prom-client, /metrics) and logs are pino JSON: no OTel readers.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req) => UNTRACED_PATHS.test(req.url ?? ''),
        requireParentforOutgoingSpans: true,
      }),
      new UndiciInstrumentation({ requireParentforSpans: true }),
      // Command names only: arguments hold job data and encrypted tokens.
      new IORedisInstrumentation({ requireParentSpan: true, dbStatementSerializer: (command) => command }),
      new MongoDBInstrumentation({ requireParentSpan: true, enhancedDatabaseReporting: false }),
    ],
  });
  sdk.start();
  await waitForAllMessagesAcknowledged();
  return sdk;
}

/** OTLP over http/protobuf (default) or http/json, or the console exporter; grpc is not shipped. */
async function traceExporter(env: Record<string, string>): Promise<SpanExporter> {
  const exporter = (env.OTEL_TRACES_EXPORTER ?? 'otlp').split(',')[0]?.trim() || 'otlp';
  if (exporter === 'console') return new ConsoleSpanExporter();
  if (exporter !== 'otlp') throw new ConfigError('OTEL_TRACES_EXPORTER', 'must be otlp, console or none');
  const protocol = (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf').trim();
  // The exporters read OTEL_EXPORTER_OTLP_* (endpoint, headers, timeout) themselves.
  if (protocol === 'http/protobuf') return new (await import('@opentelemetry/exporter-trace-otlp-proto')).OTLPTraceExporter();
  if (protocol === 'http/json') return new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter();
  throw new ConfigError(
    env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL' : 'OTEL_EXPORTER_OTLP_PROTOCOL',
    'must be http/protobuf or http/json',
  );
}
