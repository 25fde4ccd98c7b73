import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import type { Keyring } from '../shared/crypto.js';
import { type PageJob, parseJob } from '../shared/jobs.js';
import type { Logger } from '../shared/logger.js';
import { asRunId, asTenantId } from '../shared/ids.js';
import { credentialsOf } from '../shared/okta/okta-credentials.js';
import type { DomainPolicy } from '../shared/okta/okta-domain.js';
import { emptyStats } from '../shared/okta/okta-client.js';
import type { RunRecord } from '../shared/store/sync-store.js';
import { clipText } from '../shared/clip-text.js';
import { decideOutcome, type JobOutcome, MIN_PAGE_LIMIT } from './job-outcome.js';
import { jobOwnsRun } from './job-ownership.js';
import { type PageStepDeps, runPageStep } from './page-step.js';
import { RESOURCE_SYNCS } from './resources/index.js';
import { failRun } from './run-finisher.js';

/** What the page processor needs from the rest of the worker. */
export interface PageProcessorDeps extends PageStepDeps {
  keyring: Keyring;
  domainPolicy: DomainPolicy;
  /** OKTA_SYNC_RATE_SHARE, unless the tenant overrides it. */
  rateShare: number;
  logger: Logger;
}

/**
 * Handles one page job: parse → load run and tenant → token + budget + call (okta client) →
 * write the page → enqueue the next page(s) or finish the run.
 */
export function createPageProcessor(deps: PageProcessorDeps) {
  return async function processPage(job: Job, token?: string): Promise<void> {
    const data = parsePageJob(job.data);
    const run = await deps.store.getRun(asRunId(data.runId));
    // Before credentials are read or anything is written: the run must be this job's tenant's.
    if (run && !jobOwnsRun(data, run)) {
      deps.logger.warn(
        { security: 'job_tenant_mismatch', jobId: job.id, jobTenantId: data.tenantId, runId: run.runId, runTenantId: run.tenantId, resource: data.resource },
        'refused a page job whose tenant or resource is not its run\'s',
      );
      throw new UnrecoverableError(`job refused: run ${run.runId} does not belong to tenant ${data.tenantId} (${data.resource})`);
    }
    if (!run || run.status === 'succeeded' || run.status === 'failed' || run.status === 'cancelled') return;
    const tenant = await deps.store.getTenant(asTenantId(data.tenantId));
    const sync = RESOURCE_SYNCS[data.resource];
    if (!tenant || tenant.status !== 'active' || !sync) {
      const why = !tenant ? 'tenant removed' : !sync ? `resource ${data.resource} is not supported` : `tenant is ${tenant.status}`;
      await failRun(deps.store, run, { code: 'run_aborted', message: why });
      throw new UnrecoverableError(why);
    }
    // Only the first job of a run has anything to mark; the others skip a store write.
    if (run.status === 'queued') await deps.store.markRunRunning(run.runId, new Date().toISOString());
    const stepAsideMs = (await deps.fairness?.admit(run.runId, run.counters.pages, data.yields ?? 0)) ?? 0;
    if (stepAsideMs > 0) {
      // Like a rate-limit wait: delayed, no attempt spent, no worker slot held.
      await job.updateData({ ...data, yields: (data.yields ?? 0) + 1 });
      await job.moveToDelayed(Date.now() + stepAsideMs, token);
      throw new DelayedError();
    }
    const stats = emptyStats();
    try {
      const creds = credentialsOf(tenant, deps.keyring, deps.domainPolicy);
      await runPageStep(deps, { data, run, tenant, sync, creds, share: tenant.rateShare ?? deps.rateShare, stats });
    } catch (error) {
      await handleFailure(deps, job, token, data, run, error);
    } finally {
      await deps.store.addRunCounters(run.runId, stats);
    }
  };
}

async function handleFailure(
  deps: PageProcessorDeps,
  job: Job,
  token: string | undefined,
  data: PageJob,
  run: RunRecord,
  error: unknown,
): Promise<never> {
  if (error instanceof UnrecoverableError) {
    const message = clipText(error.message);
    await failRun(deps.store, run, { code: 'run_aborted', message });
    throw new UnrecoverableError(message);
  }
  const pageLimit = currentLimit(data);
  const outcome: JobOutcome = decideOutcome(error, { made: job.attemptsMade, max: job.opts.attempts ?? 1, ...(pageLimit === undefined ? {} : { pageLimit }) });
  const log = deps.logger.child({ tenantId: data.tenantId, runId: data.runId, jobId: job.id });
  switch (outcome.kind) {
    case 'delay': {
      const waitMs = Math.max(0, outcome.until - Date.now());
      await deps.store.addRunCounters(run.runId, { rateLimitWaitMs: waitMs });
      log.debug({ waitMs, reason: outcome.reason }, 'page delayed');
      await job.moveToDelayed(outcome.until, token);
      throw new DelayedError();
    }
    case 'retry': {
      await deps.store.addRunCounters(run.runId, { retries: 1 });
      if (outcome.shrinkLimit) {
        await job.updateData({ ...data, limit: Math.max(MIN_PAGE_LIMIT, Math.floor((pageLimit ?? 200) / 2)) });
      }
      log.warn({ err: describe(error), attempt: job.attemptsMade + 1 }, 'page failed, will retry');
      // BullMQ keeps the message as `failedReason`: bounded like every stored error text.
      throw bounded(error);
    }
    case 'fail': {
      if (outcome.credentialsInvalid) {
        await deps.store.setTenantStatus(run.tenantId, 'credentials_invalid', new Date().toISOString());
      }
      await failRun(deps.store, run, { code: outcome.code, message: outcome.message });
      log.error({ err: describe(error) }, 'run failed');
      throw new UnrecoverableError(outcome.message);
    }
  }
}

/** Errors are logged by code and message only: causes may carry request internals. */
function describe(error: unknown): { code?: string; message: string } {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { ...(typeof code === 'string' ? { code } : {}), message: clipText(error.message) };
  }
  return { message: clipText(String(error)) };
}

/** The error itself when its message is short enough, else one with the message clipped. */
function bounded(error: unknown): Error {
  const message = error instanceof Error ? error.message : String(error);
  return error instanceof Error && clipText(message) === message ? error : new Error(clipText(message), { cause: error });
}

/** The page size the job asks for: its override, else the resource's (undefined if unknown). */
function currentLimit(data: PageJob): number | undefined {
  const sync = RESOURCE_SYNCS[data.resource];
  return data.limit ?? (data.parentId === undefined ? sync?.pageSize : sync?.fanOut?.pageSize);
}

/** A malformed job is refused for good, its (bounded) reason kept by the queue. */
function parsePageJob(raw: unknown): PageJob {
  try {
    return parseJob('page', raw);
  } catch (error) {
    throw new UnrecoverableError(clipText(`malformed page job: ${error instanceof Error ? error.message : String(error)}`));
  }
}
