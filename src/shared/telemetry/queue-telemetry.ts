import { BullMQOtel } from 'bullmq-otel';
import { tracingEnabled } from './spans.js';

/**
 * BullMQ's `telemetry` option when tracing is on, nothing when it is off (BullMQ then skips its
 * span bookkeeping entirely). With it, `Queue.add` puts the enqueuer's trace context into the job
 * and the worker's `process` span continues that trace. Spread it into Queue and Worker options.
 */
export function queueTelemetry(): { telemetry?: BullMQOtel } {
  return tracingEnabled() ? { telemetry: new BullMQOtel({ tracerName: 'bullmq' }) } : {};
}
