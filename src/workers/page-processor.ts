import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import type { Keyring } from '../shared/crypto.js';
import { type PageJob, parseJob } from '../shared/jobs.js';
import type { Logger } from '../shared/logger.js';
import { asRunId, asTenantId } from '../shared/ids.js';
import { credentialsOf } from '../shared/okta/okta-credentials.js';
import type { DomainPolicy } from '../shared/okta/okta-domain.js';
import { emptyStats } from '../shared/okta/okta-client.js';
import type { RunRecord } from '../shared/store/sync-store.js';
import { decideOutcome, type JobOutcome } from './job-outcome.js';
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
    const data = parseJob('page', job.data);
    const run = await deps.store.getRun(asRunId(data.runId));
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
    await failRun(deps.store, run, { code: 'pagination_loop', message: error.message });
    throw error;
  }
  const outcome: JobOutcome = decideOutcome(error, { made: job.attemptsMade, max: job.opts.attempts ?? 1 });
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
        const sync = RESOURCE_SYNCS[data.resource];
        const size = data.parentId === undefined ? sync?.pageSize : sync?.fanOut?.pageSize;
        const current = data.limit ?? size ?? 200;
        await job.updateData({ ...data, limit: Math.max(10, Math.floor(current / 2)) });
      }
      log.warn({ err: describe(error), attempt: job.attemptsMade + 1 }, 'page failed, will retry');
      throw error;
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
    return { ...(typeof code === 'string' ? { code } : {}), message: error.message };
  }
  return { message: String(error) };
}
