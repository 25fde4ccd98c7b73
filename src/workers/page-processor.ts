import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import type { Keyring } from '../shared/crypto.js';
import { type PageJob, parseJob } from '../shared/jobs.js';
import type { Logger } from '../shared/logger.js';
import { asRunId, asTenantId } from '../shared/ids.js';
import { RESOURCE_SCOPE } from '../shared/resources.js';
import { credentialsOf } from '../shared/okta/okta-credentials.js';
import type { DomainPolicy } from '../shared/okta/okta-domain.js';
import { type CallStats, type OktaClient, emptyStats } from '../shared/okta/okta-client.js';
import type { RunRecord, SyncStore, TenantRecord } from '../shared/store/sync-store.js';
import { decideOutcome, type JobOutcome } from './job-outcome.js';
import { RESOURCE_SYNCS } from './resources/index.js';
import type { ResourceSync } from './resources/resource-sync.js';
import { type RunFinisher, failRun } from './run-finisher.js';

/** What the page processor needs from the rest of the worker. */
export interface PageProcessorDeps {
  store: SyncStore;
  okta: OktaClient;
  keyring: Keyring;
  domainPolicy: DomainPolicy;
  /** Adds a page job under its deterministic id (a no-op if that job exists). */
  enqueuePage(job: PageJob): Promise<void>;
  finisher: RunFinisher;
  /** OKTA_SYNC_RATE_SHARE, unless the tenant overrides it. */
  rateShare: number;
  logger: Logger;
}

/**
 * Handles one page job: parse → load run and tenant → token + budget + call (okta client) →
 * write the page → enqueue the next page or finish the run.
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
    await deps.store.markRunRunning(run.runId, new Date().toISOString());
    const stats = emptyStats();
    try {
      await processOnePage(deps, data, run, tenant, sync, stats);
    } catch (error) {
      await handleFailure(deps, job, token, data, run, error);
    } finally {
      await deps.store.addRunCounters(run.runId, stats);
    }
  };
}

async function processOnePage(
  deps: PageProcessorDeps,
  data: PageJob,
  run: RunRecord,
  tenant: TenantRecord,
  sync: ResourceSync,
  stats: CallStats,
): Promise<void> {
  const creds = credentialsOf(tenant, deps.keyring, deps.domainPolicy);
  const limit = data.limit ?? sync.pageSize;
  const url =
    data.url ??
    sync.firstUrl({
      origin: creds.origin,
      mode: data.mode,
      watermark: await deps.store.getWatermark(tenant.tenantId, data.resource),
      limit,
    });
  const pageUrl = data.limit === undefined ? url : withLimit(url, data.limit);
  const share = tenant.rateShare ?? deps.rateShare;
  const page = await deps.okta.getPage(creds, pageUrl, [RESOURCE_SCOPE[data.resource]], stats, share);
  await deps.store.commitPage({
    tenantId: tenant.tenantId,
    runId: run.runId,
    type: sync.type,
    pageKey: `p${data.page}`,
    objects: sync.toObjects(page.items),
    at: new Date().toISOString(),
  });
  if (page.nextUrl === url) {
    throw new UnrecoverableError('Okta returned the same next link twice');
  }
  if (page.nextUrl) {
    await deps.enqueuePage({ ...data, page: data.page + 1, url: page.nextUrl });
  } else {
    await deps.finisher.succeed(run, sync);
  }
}

function withLimit(url: string, limit: number): string {
  const u = new URL(url);
  u.searchParams.set('limit', String(limit));
  return u.href;
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
        const current = data.limit ?? RESOURCE_SYNCS[data.resource]?.pageSize ?? 200;
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
