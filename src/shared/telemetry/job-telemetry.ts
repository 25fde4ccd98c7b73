import { type Attributes, context, createContextKey } from '@opentelemetry/api';
import { DelayedError, UnrecoverableError } from 'bullmq';
import type { JobResult, Metrics } from './metrics.js';
import { ATTR, SPAN, withSpan } from './spans.js';

/** Minimal interface the job span needs from a BullMQ `Job`. */
export interface JobLike {
  id?: string | undefined;
  name: string;
  data: unknown;
  /** Attempts that failed before this one. */
  attemptsMade: number;
  opts: { attempts?: number | undefined };
  /** Set by `moveToDelayed`: how long the job now waits. */
  delay: number;
}

/** Per job attempt, in the active context: how often each Okta request was already sent. */
interface AttemptState {
  attempt: number;
  sent: Map<string, number>;
}
const ATTEMPT = createContextKey('okta-sync.job-attempt');

/**
 * Wraps a worker's processor: each attempt runs in an `okta-sync.job` span (child of BullMQ's
 * `process` span, so of the enqueuer's trace) and is counted by tenant, resource and result.
 * The processor itself validates the payload; labels here read it loosely.
 */
export function instrumentJobs<J extends JobLike, R>(process: (job: J, token?: string) => Promise<R>, metrics: Metrics): (job: J, token?: string) => Promise<R> {
  return (job, token) => {
    const data = (typeof job.data === 'object' && job.data !== null ? job.data : {}) as Record<string, unknown>;
    const tenantId = typeof data.tenantId === 'string' ? data.tenantId : 'unknown';
    const resource = typeof data.resource === 'string' ? data.resource : job.name;
    const attributes: Attributes = {
      [ATTR.tenantId]: tenantId,
      [ATTR.resource]: resource,
      [ATTR.jobName]: job.name,
      [ATTR.attempt]: job.attemptsMade + 1,
      ...(typeof data.runId === 'string' ? { [ATTR.runId]: data.runId } : {}),
      ...(typeof data.page === 'number' ? { [ATTR.page]: data.page } : {}),
      ...(job.id ? { [ATTR.jobId]: job.id } : {}),
    };
    const finished = metrics.jobStarted({ tenantId, resource });
    const state: AttemptState = { attempt: job.attemptsMade, sent: new Map() };
    const parent = context.active().setValue(ATTEMPT, state);
    return withSpan(
      SPAN.job,
      { attributes },
      async (span) => {
        try {
          const result = await process(job, token);
          finished('completed');
          span.setAttribute(ATTR.result, 'completed');
          return result;
        } catch (error) {
          const outcome = resultOf(error, job);
          finished(outcome, outcome === 'delayed' ? job.delay : undefined);
          span.setAttribute(ATTR.result, outcome);
          if (outcome === 'delayed') span.setAttribute(ATTR.delayMs, job.delay);
          throw error;
        }
      },
      // A rate-limit delay is the design working, not a failure.
      (error) => !(error instanceof DelayedError),
      parent,
    );
  };
}

function resultOf(error: unknown, job: JobLike): JobResult {
  if (error instanceof DelayedError) return 'delayed';
  if (error instanceof UnrecoverableError) return 'failed';
  return job.attemptsMade + 1 >= (job.opts.attempts ?? 1) ? 'failed' : 'retried';
}

/**
 * How many times this job has already tried `requestKey` (earlier attempts, plus repeats in this
 * attempt such as the retry after an expired token), and counts this try. 0 outside a job.
 */
export function takeRetryCount(requestKey: string): number {
  const state = context.active().getValue(ATTEMPT) as AttemptState | undefined;
  if (!state) return 0;
  const before = state.sent.get(requestKey) ?? 0;
  state.sent.set(requestKey, before + 1);
  return state.attempt + before;
}
