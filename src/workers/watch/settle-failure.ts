import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import { clipText } from '../../shared/clip-text.js';
import type { TenantId } from '../../shared/ids.js';
import type { SyncStore } from '../../shared/store/sync-store.js';
import { decideOutcome } from '../job-outcome.js';

/**
 * What the queue does with a refresh job whose attempt threw, by `decideOutcome` (the one place
 * errors become queue behaviour): a rate-limit or in-flight refusal delays the job without an
 * attempt and without a slot, exactly like a page job; transient failures spend an attempt;
 * the rest fail for good (`invalid_client` marks the tenant). `report` hears the result first;
 * then the matching error is thrown (DelayedError, the error itself, UnrecoverableError).
 */
export async function settleFailure(input: {
  job: Job;
  token: string | undefined;
  error: unknown;
  store: SyncStore;
  tenantId: TenantId;
  report(result: 'delayed' | 'retried' | 'failed'): void;
}): Promise<never> {
  const { job, error } = input;
  const outcome = decideOutcome(error, { made: job.attemptsMade, max: job.opts.attempts ?? 1 });
  if (outcome.kind === 'delay') {
    input.report('delayed');
    await job.moveToDelayed(outcome.until, input.token);
    throw new DelayedError();
  }
  if (outcome.kind === 'retry') {
    input.report('retried');
    throw error instanceof Error ? new Error(clipText(error.message), { cause: error }) : new Error(clipText(String(error)));
  }
  if (outcome.credentialsInvalid) await input.store.setTenantStatus(input.tenantId, 'credentials_invalid', new Date().toISOString());
  input.report('failed');
  throw new UnrecoverableError(outcome.message);
}
