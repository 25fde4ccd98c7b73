import { UnrecoverableError } from 'bullmq';
import { asRunId } from '../shared/ids.js';
import type { ChainGuard, PageJob } from '../shared/jobs.js';
import type { CallStats, OktaClient, OktaPage } from '../shared/okta/okta-client.js';
import type { OktaCredentials } from '../shared/okta/okta-credentials.js';
import { isOktaError } from '../shared/okta/okta-errors.js';
import { PaginationLoopError } from '../shared/errors.js';
import { RESOURCE_SCOPE } from '../shared/resources.js';
import type { ObjectType, ObjectWrite, RunRecord, SyncStore, TenantRecord } from '../shared/store/sync-store.js';
import type { FanOutCoordinator, FanOutStep } from './fan-out.js';
import type { FairnessGate } from './fairness-gate.js';
import { pagePriority } from './page-priority.js';
import { guardPage } from './pagination-guard.js';
import { isPartitionedLogsJob, partitionedLogsStep } from './partitioned-logs.js';
import { type ChainTools, isPartitionedUsersJob, partitionedUsersStep } from './partitioned-users.js';
import { type FanOutSpec, type ResourceSync, itemsWithoutKey } from './resources/resource-sync.js';
import type { RunFinisher } from './run-finisher.js';

/** What one page step needs from the worker. */
export interface PageStepDeps {
  store: SyncStore;
  okta: OktaClient;
  fanOut: FanOutCoordinator;
  /** Adds a page job under its deterministic id (a no-op if that job exists). */
  enqueuePage(job: PageJob, options: { priority: number }): Promise<void>;
  finisher: RunFinisher;
  /** `OKTA_SYNC_LOG_FIRST_SYNC_DAYS`. */
  logFirstSyncDays: number;
  /** Told when a run ends, so it stops counting as young. */
  fairness?: FairnessGate;
  /** `OKTA_SYNC_MAX_PAGES_PER_RUN`, default 100000. */
  maxPagesPerRun?: number;
  /** Chains one run may list at once: min(OKTA_SYNC_MAX_CURSORS, OKTA_SYNC_TENANT_CONCURRENCY). Default 1. */
  maxCursors?: number;
  /**
   * Told the events of each System Log polling page before the cursor moves past them: the watch
   * shares the logs cursor, so the changes a logs run reads reach the refresh mapping too.
   */
  onPolledEvents?(tenantId: string, items: unknown[]): Promise<void>;
}

/** One page job's inputs, resolved by the processor. */
export interface PageStepInput {
  data: PageJob;
  /** The run as loaded when the job started (its counters say how much work it has done). */
  run: RunRecord;
  tenant: TenantRecord;
  sync: ResourceSync;
  creds: OktaCredentials;
  share: number;
  stats: CallStats;
  /** Set once the page is fetched: the loop guard's window, carried to the chain's next page. */
  guard?: ChainGuard;
}

/**
 * Fetches and writes one page, then moves the run on. Three shapes of chain:
 * - a plain listing (users, groups, System Log): next page, or finish the run;
 * - the listing of a fan-out run (groups of a memberships run, apps): next page, register the
 *   parents it found and start their chains inside the window, finish when all is done;
 * - a child chain (members of one group): next page, or end the chain and start the next one.
 */
export async function runPageStep(deps: PageStepDeps, input: PageStepInput): Promise<void> {
  const { data, sync } = input;
  if (isPartitionedUsersJob(data, deps.maxCursors ?? 1)) return partitionedUsersStep(chainTools(deps, input));
  if (isPartitionedLogsJob(data, deps.maxCursors ?? 1)) return partitionedLogsStep(chainTools(deps, input));
  if (data.parentId !== undefined) {
    if (!sync.fanOut) throw new UnrecoverableError(`resource ${data.resource} has no child chains`);
    return childPage(deps, input, sync.fanOut, data.parentId);
  }
  const url = data.url ?? (await firstUrl(deps, input));
  const page = await fetchPage(deps, input, url);
  await warnKeyless(deps, input, sync.type === 'log_event' ? 'uuid' : 'id', data.resource, page.items);
  await commit(deps, input, sync.type, `p${data.page}`, sync.toObjects(page.items));
  if (sync.polling) return pollingPage(deps, input, url, page);
  const next = nextOf(url, page);
  if (next) await enqueueNext(deps, input, following(data, next, input.guard));
  if (!sync.fanOut) {
    if (!next) await finish(deps, input);
    return;
  }
  const { list, empty } = sync.fanOut.children(page.items, data.mode);
  if (data.mode === 'incremental' && sync.fanOut.sweepsParentInIncremental) {
    // Changed but empty now: every child stored under them is gone, and no request is needed to know it.
    for (const parentId of empty) await sweepParent(deps, input, sync.fanOut.type, parentId, input.run.runId);
  }
  await advance(deps, input, () => deps.fanOut.listingPage(input.run.runId, data.page, list, !next));
}

async function childPage(deps: PageStepDeps, input: PageStepInput, fanOut: FanOutSpec, parentId: string): Promise<void> {
  const { data } = input;
  const url = data.url ?? fanOut.childUrl(input.creds.origin, parentId, data.limit ?? fanOut.pageSize);
  let page: OktaPage;
  try {
    page = await fetchPage(deps, input, url);
  } catch (error) {
    if (!isOktaError(error, 'okta_not_found')) throw error;
    // The parent vanished mid-run (a group deleted): skip it, and whatever we stored under it is
    // gone too. Sweeping on behalf of a run id that wrote nothing marks every such child.
    await sweepParent(deps, input, fanOut.type, parentId, asRunId(`${input.run.runId}.gone`));
    return advance(deps, input, () => deps.fanOut.childEnded(input.run.runId, parentId));
  }
  await warnKeyless(deps, input, 'id', fanOut.type, page.items);
  await commit(deps, input, fanOut.type, `${parentId}.p${data.page}`, fanOut.toObjects(parentId, page.items));
  const next = nextOf(url, page);
  if (next) return enqueueNext(deps, input, following(data, next, input.guard));
  if (data.mode === 'incremental' && fanOut.sweepsParentInIncremental) {
    await sweepParent(deps, input, fanOut.type, parentId, input.run.runId);
  }
  await advance(deps, input, () => deps.fanOut.childEnded(input.run.runId, parentId));
}

/** System Log: keep the cursor after every page; an empty page means we caught up. */
async function pollingPage(deps: PageStepDeps, input: PageStepInput, url: string, page: OktaPage): Promise<void> {
  const { data, tenant } = input;
  if (page.items.length > 0) await deps.onPolledEvents?.(tenant.tenantId, page.items);
  const cursor = page.nextUrl ?? url;
  await deps.store.setWatermark(tenant.tenantId, data.resource, cursor, new Date().toISOString());
  const next = page.items.length === 0 ? null : nextOf(url, page);
  if (next) return enqueueNext(deps, input, following(data, next, input.guard));
  await finish(deps, input);
}

/**
 * Takes a fan-out step, starts the chains it hands us, then finishes the run if it is ours to
 * finish. Counters are flushed before the step, so the finisher (who steps last) finds every
 * other chain's requests already counted when it marks the run final.
 */
async function advance(deps: PageStepDeps, input: PageStepInput, takeStep: () => Promise<FanOutStep>): Promise<void> {
  const { data } = input;
  await flushStats(deps, input);
  const step = await takeStep();
  for (const parentId of step.start) {
    await enqueueNext(deps, input, { tenantId: data.tenantId, runId: data.runId, resource: data.resource, mode: data.mode, page: 0, url: null, parentId });
  }
  if (!step.finish) return;
  await finish(deps, input);
  await deps.fanOut.forget(input.run.runId);
}

async function finish(deps: PageStepDeps, input: PageStepInput): Promise<void> {
  await flushStats(deps, input);
  await deps.finisher.succeed(input.run, input.sync);
  await deps.fairness?.forget(input.run.runId);
}

/** This job's page-step operations, for the range chains of a partitioned users run. */
function chainTools(deps: PageStepDeps, input: PageStepInput): ChainTools {
  return {
    job: input.data,
    firstUrl: () => firstUrl(deps, input),
    fetch: (url) => fetchPage(deps, input, url),
    nextOf,
    commit: (pageKey, items) => commit(deps, input, input.sync.type, pageKey, input.sync.toObjects(items)),
    enqueue: (job) => enqueueNext(deps, input, job),
    flushStats: () => flushStats(deps, input),
    finish: () => finish(deps, input),
    polling: (url, page) => pollingPage(deps, input, url, page),
    fanOut: deps.fanOut,
    share: input.share,
    maxCursors: deps.maxCursors ?? 1,
  };
}

/** The job of the page after `data`: same chain, no fairness yields carried over, the loop guard's window. */
function following(data: PageJob, url: string, guard: ChainGuard | undefined): PageJob {
  const { yields: _yields, guard: _guard, ...rest } = data;
  return { ...rest, page: data.page + 1, url, ...(guard ? { guard } : {}) };
}

async function firstUrl(deps: PageStepDeps, input: PageStepInput): Promise<string> {
  const warnings: string[] = [];
  const url = input.sync.firstUrl({
    origin: input.creds.origin,
    mode: input.data.mode,
    watermark: await deps.store.getWatermark(input.tenant.tenantId, input.data.resource),
    limit: input.data.limit ?? input.sync.pageSize,
    now: Date.now(),
    logFirstSyncDays: deps.logFirstSyncDays,
    warn: (message) => warnings.push(message),
  });
  for (const warning of warnings) await deps.store.addRunWarning(input.run.runId, warning);
  return url;
}

/**
 * Items Okta sent without their key are skipped (the resource's `toObjects` leaves them out) and
 * noted once per run and kind, instead of failing the run over one odd object. The note has no
 * count: warnings are a set, so a retried page cannot add it twice.
 */
async function warnKeyless(deps: PageStepDeps, input: PageStepInput, key: 'id' | 'uuid', what: string, items: unknown[]): Promise<void> {
  if (itemsWithoutKey(items, key) === 0) return;
  await deps.store.addRunWarning(input.run.runId, `skipped ${what} items without ${key === 'id' ? 'an id' : 'a uuid'} from Okta`);
}

async function fetchPage(deps: PageStepDeps, input: PageStepInput, url: string): Promise<OktaPage> {
  const pageUrl = input.data.limit === undefined ? url : withLimit(url, input.data.limit);
  const page = await deps.okta.getPage(input.creds, pageUrl, [RESOURCE_SCOPE[input.data.resource]], input.stats, input.share);
  input.guard = guardPage({ data: input.data, runPages: input.run.counters.pages, url, page, maxPagesPerRun: deps.maxPagesPerRun ?? 100_000 });
  return page;
}

function withLimit(url: string, limit: number): string {
  const u = new URL(url);
  u.searchParams.set('limit', String(limit));
  return u.href;
}

/** The page's `next` link, or null at the end; the same link twice would loop forever. */
function nextOf(url: string, page: OktaPage): string | null {
  if (page.nextUrl === url) throw new PaginationLoopError('Okta returned the same next link twice');
  return page.nextUrl;
}

async function commit(deps: PageStepDeps, input: PageStepInput, type: ObjectType, pageKey: string, objects: ObjectWrite[]): Promise<void> {
  await deps.store.commitPage({ tenantId: input.tenant.tenantId, runId: input.run.runId, type, pageKey, objects, at: new Date().toISOString() });
}

/** Page jobs of runs that have done less work so far run first (see `pagePriority`). */
async function enqueueNext(deps: PageStepDeps, input: PageStepInput, job: PageJob): Promise<void> {
  await deps.enqueuePage(job, { priority: pagePriority(input.run.counters.pages + 1) });
}

async function sweepParent(deps: PageStepDeps, input: PageStepInput, type: ObjectType, parentId: string, keepRunId: RunRecord['runId']): Promise<void> {
  // The store counts the deletions toward this run (countFor), in the same write where it can.
  await deps.store.sweep({
    tenantId: input.tenant.tenantId,
    type,
    runId: keepRunId,
    at: new Date().toISOString(),
    oktaIdPrefix: `${parentId}:`,
    countFor: input.run.runId,
  });
}

/** Adds this job's call counters to the run now (the processor adds whatever comes after). */
async function flushStats(deps: PageStepDeps, input: PageStepInput): Promise<void> {
  const delta = { ...input.stats };
  for (const key of Object.keys(input.stats) as (keyof CallStats)[]) input.stats[key] = 0;
  await deps.store.addRunCounters(input.run.runId, delta);
}
