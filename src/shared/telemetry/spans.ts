import {
  type Attributes,
  type Context,
  type Link,
  ProxyTracerProvider,
  type Span,
  SpanKind,
  SpanStatusCode,
  context,
  isSpanContextValid,
  trace,
} from '@opentelemetry/api';

/**
 * The small span helper every instrumented module uses. It only touches `@opentelemetry/api`:
 * with no SDK registered (telemetry off) every call is a no-op on a non-recording span.
 */
export const TRACER_NAME = 'okta-sync';

/** Our own span names (DESIGN.md "Observability"); the BullMQ add/process spans come from bullmq-otel. */
export const SPAN = {
  job: 'okta-sync.job',
  nextPage: 'okta-sync.enqueue-next',
  token: 'okta-sync.token.get',
  tokenInvalidate: 'okta-sync.token.invalidate',
  budget: 'okta-sync.rate-budget.acquire',
  request: 'okta-sync.okta.request',
  storeWrite: 'okta-sync.store.write',
} as const;

/** Attribute keys of our spans. Values are ids, counts and names: never a secret, token or header. */
export const ATTR = {
  tenantId: 'okta_sync.tenant_id',
  runId: 'okta_sync.run_id',
  resource: 'okta_sync.resource',
  page: 'okta_sync.page',
  jobId: 'okta_sync.job_id',
  jobName: 'okta_sync.job_name',
  attempt: 'okta_sync.attempt',
  result: 'okta_sync.result',
  delayMs: 'okta_sync.delay_ms',
  bucket: 'okta_sync.bucket',
  retryCount: 'okta_sync.retry_count',
  rateRemaining: 'okta_sync.rate_limit.remaining',
  tokenCache: 'okta_sync.token.cache',
  scopes: 'okta_sync.token.scopes',
  granted: 'okta_sync.rate_budget.granted',
  waitMs: 'okta_sync.rate_budget.wait_ms',
  objectType: 'okta_sync.object_type',
  objectCount: 'okta_sync.object_count',
  pageNew: 'okta_sync.page_new',
  httpMethod: 'http.request.method',
  httpStatus: 'http.response.status_code',
  urlPath: 'url.path',
  serverAddress: 'server.address',
} as const;

export interface SpanOptions {
  attributes?: Attributes;
  /** Default INTERNAL. */
  kind?: SpanKind;
  links?: Link[];
  /** Start a new trace instead of a child of the active span. */
  root?: boolean;
}

export function tracer() {
  return trace.getTracer(TRACER_NAME);
}

/**
 * Runs `fn` inside a new active span and ends it. A thrown error is recorded (type and message)
 * and marks the span failed unless `isFailure` says otherwise (a delay is not a failure).
 */
export function withSpan<T>(
  name: string,
  options: SpanOptions,
  fn: (span: Span) => Promise<T>,
  isFailure: (error: unknown) => boolean = () => true,
  parent: Context = context.active(),
): Promise<T> {
  return tracer().startActiveSpan(name, { kind: SpanKind.INTERNAL, ...options }, parent, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      if (isFailure(error)) markFailed(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/**
 * Runs `fn` as the first span of a new trace linked to the active span: the next page of a run is
 * its own trace (DESIGN.md: one trace per page job, linked to its run), so a long run does not
 * grow one endless trace.
 */
export function withLinkedTrace<T>(name: string, attributes: Attributes, fn: () => Promise<T>): Promise<T> {
  const previous = trace.getActiveSpan()?.spanContext();
  const links = previous && isSpanContextValid(previous) ? [{ context: previous }] : [];
  return withSpan(name, { attributes, links, root: true, kind: SpanKind.PRODUCER }, () => fn());
}

/** Records an error by type, code and message only: causes may carry request internals. */
export function markFailed(span: Span, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  const code = error instanceof Error ? (error as { code?: unknown }).code : undefined;
  span.recordException({
    name: error instanceof Error ? error.name : 'Error',
    message,
    ...(typeof code === 'string' ? { code } : {}),
  });
  span.setStatus({ code: SpanStatusCode.ERROR, message });
}

/** pino mixin: the active span's ids on every log line written inside it. */
export function traceMixin(): { trace_id?: string; span_id?: string } {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const ids = span.spanContext();
  return isSpanContextValid(ids) ? { trace_id: ids.traceId, span_id: ids.spanId } : {};
}

/** True when an SDK tracer provider is registered (register.ts started tracing). */
export function tracingEnabled(): boolean {
  return sdkProvider() !== undefined;
}

/**
 * Exports what is buffered before the process exits (a CLI command lives for a second; the batch
 * exporter would otherwise drop its spans). Never waits longer than `timeoutMs`.
 */
export async function flushTelemetry(timeoutMs = 2_000): Promise<void> {
  const provider = sdkProvider();
  if (!provider) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    provider.forceFlush().catch(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    }),
  ]);
  clearTimeout(timer);
}

function sdkProvider(): { forceFlush(): Promise<void> } | undefined {
  const global = trace.getTracerProvider();
  const provider: unknown = global instanceof ProxyTracerProvider ? global.getDelegate() : global;
  // The API's no-op provider has no forceFlush; every SDK provider does.
  const flush = (provider as { forceFlush?: unknown }).forceFlush;
  return typeof flush === 'function' ? (provider as { forceFlush(): Promise<void> }) : undefined;
}
