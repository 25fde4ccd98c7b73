import { closeSync, openSync, writeSync } from 'node:fs';
import type { Context, HrTime } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';

/** One finished span as a line of the trace file. */
export interface TraceFileSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  /** `SpanKind` number: 0 internal, 1 server, 2 client, 3 producer, 4 consumer. */
  kind: number;
  /** `service.name` of the process that ended it. */
  service: string;
  pid: number;
  startMs: number;
  durationMs: number;
  /** `SpanStatusCode`: 0 unset, 1 ok, 2 error. */
  status: number;
  attributes: Record<string, unknown>;
  events: { name: string; attributes: Record<string, unknown> }[];
  links: { traceId: string; spanId: string }[];
}

/**
 * `OKTA_SYNC_TRACE_FILE`: an in-memory exporter that flushes each finished span at once, as one
 * JSON line appended with a single write (O_APPEND), so several processes can share one file and a
 * test can read the span tree across them. Synchronous on purpose: a CLI process that exits right
 * after enqueueing loses nothing. For tests and debugging, not production volumes.
 */
export class TraceFileProcessor implements SpanProcessor {
  private fd: number | undefined;

  constructor(path: string) {
    this.fd = openSync(path, 'a');
  }

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    if (this.fd === undefined) return;
    writeSync(this.fd, `${JSON.stringify(toLine(span))}\n`);
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    return Promise.resolve();
  }
}

function toLine(span: ReadableSpan): TraceFileSpan {
  const ids = span.spanContext();
  return {
    traceId: ids.traceId,
    spanId: ids.spanId,
    parentSpanId: span.parentSpanContext?.spanId ?? null,
    name: span.name,
    kind: span.kind,
    service: String(span.resource.attributes['service.name'] ?? ''),
    pid: process.pid,
    startMs: ms(span.startTime),
    durationMs: ms(span.duration),
    status: span.status.code,
    attributes: { ...span.attributes },
    events: span.events.map((e) => ({ name: e.name, attributes: { ...(e.attributes ?? {}) } })),
    links: span.links.map((l) => ({ traceId: l.context.traceId, spanId: l.context.spanId })),
  };
}

function ms(time: HrTime): number {
  return time[0] * 1_000 + time[1] / 1_000_000;
}
