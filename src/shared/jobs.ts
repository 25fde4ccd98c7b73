import { z } from 'zod';
import { RESOURCES } from './resources.js';
import { SYNC_MODES, WEBHOOK_EVENTS } from './store/sync-store.js';
import { TENANT_ID_PATTERN } from './ids.js';

/**
 * The job contract shared by the producer and the workers: queue names, job names and a zod
 * schema per job name. Payloads are validated when enqueued and again when picked up.
 */
export const SYNC_QUEUE = 'sync';

const tenantId = z.string().regex(TENANT_ID_PATTERN);
const runId = z.string().min(1).max(100);

/**
 * What a chain remembers of its recent pages, to catch pagination that goes round
 * (`src/workers/pagination-guard.ts`): digests only, never cursors or ids themselves.
 */
export const chainGuardSchema = z.object({
  cursors: z.array(z.string().max(16)).max(32),
  pages: z.array(z.string().max(16)).max(32),
  empty: z.number().int().min(0),
});
export type ChainGuard = z.infer<typeof chainGuardSchema>;

/** One Okta page of a run. `url` null means "the run's first page", built by the worker. */
export const pageJobSchema = z.object({
  tenantId,
  runId,
  resource: z.enum(RESOURCES),
  mode: z.enum(SYNC_MODES),
  /** Position in the chain: page N's job id is derived from it, so a retry cannot fork the chain. */
  page: z.number().int().min(0),
  /** The `next` link of the previous page, exactly as Okta sent it. */
  url: z.string().url().nullable(),
  /** Page size override after a 500 on a large page (halved each time). */
  limit: z.number().int().min(1).max(1000).optional(),
  /** For fan-out chains (members of one group): the parent object id. */
  parentId: z.string().min(1).max(200).optional(),
  /**
   * For a range chain of a partitioned full users run: the `created` range it lists
   * (`r<generation>_<fromMs>_<toMs>`, `_o` when the upper bound is open, `_s<ids>` users to skip;
   * see workers/range-plan.ts).
   */
  range: z.string().regex(/^r\d{1,2}_\d{1,15}_\d{1,15}(_o)?(_s[0-9A-Za-z.]{1,81})?$/).optional(),
  /** System Log first sync in ranges: where the polling query starts once every range is listed (epoch ms). */
  pollFrom: z.number().int().min(0).optional(),
  /** Chains of the run listed at once, decided when the run was partitioned. */
  cursors: z.number().int().min(1).max(64).optional(),
  /** Times this page stepped aside for runs that have done less work (fairness); not carried to the next page. */
  yields: z.number().int().min(0).optional(),
  /** The chain's recent cursors and pages (loop detection); absent on a chain's first page. */
  guard: chainGuardSchema.optional(),
});
export type PageJob = z.infer<typeof pageJobSchema>;

/** Fired by a BullMQ job scheduler (PUT /v1/tenants/{id}/schedule): starts a run like an API request would. */
export const scheduleJobSchema = z.object({
  tenantId,
  resource: z.enum(RESOURCES),
  mode: z.enum(SYNC_MODES),
});
export type ScheduleJob = z.infer<typeof scheduleJobSchema>;

/** Outgoing webhooks have their own queue, so a slow receiver never holds a sync worker's slot. */
export const WEBHOOK_QUEUE = 'webhooks';

/**
 * One webhook delivery. The payload is built when the event happens (so every retry sends the same
 * body); the URL and secret are read from the store at each attempt and never enter Redis.
 */
export const webhookJobSchema = z.object({
  tenantId,
  event: z.enum(WEBHOOK_EVENTS),
  /** Deterministic (event + run): also the job id, so an event enqueued twice is delivered once. */
  deliveryId: z.string().regex(/^[A-Za-z0-9_.-]{1,200}$/),
  /** The JSON body sent, without object data (counts and cursors only). */
  payload: z.record(z.string(), z.unknown()),
});
export type WebhookJob = z.infer<typeof webhookJobSchema>;

/** Fired by the one retention job scheduler of the service (PURGE_SCHEDULER_ID): the store's purge step. */
export const purgeJobSchema = z.object({}).strict();
export type PurgeJob = z.infer<typeof purgeJobSchema>;

/**
 * A System Log event as the watch and the Event Hook receiver hand it on: only what the refresh
 * mapping reads (OKTA-FACTS "Near-real-time"); the rest of Okta's event stays out of Redis.
 */
export const changeEventSchema = z.object({
  uuid: z.string().min(1).max(100),
  eventType: z.string().min(1).max(200),
  published: z.string().min(1).max(40),
  target: z
    .array(z.object({ id: z.string().min(1).max(200), type: z.string().min(1).max(100) }))
    .max(20)
    .nullable()
    .optional(),
});
export type ChangeEvent = z.infer<typeof changeEventSchema>;

/** Events to turn into targeted refreshes (an Event Hook delivery, or a watch poll's page). */
export const eventsJobSchema = z.object({
  tenantId,
  source: z.enum(['hook', 'watch']),
  events: z.array(changeEventSchema).min(1).max(500),
});
export type EventsJob = z.infer<typeof eventsJobSchema>;

/** Fired by a watched tenant's job scheduler (PUT /v1/tenants/{id}/watch): one System Log poll. */
export const watchJobSchema = z.object({ tenantId });
export type WatchJob = z.infer<typeof watchJobSchema>;

/**
 * What a targeted refresh does (src/workers/watch/event-refreshes.ts decides which):
 * - `user`, `group`, `app`: re-read that object by id (404: marked deleted, a group or app with its children);
 * - `app_user`: re-read one assignment (`id` = `${appId}:${userId}`);
 * - `user_deleted`: no request; the user, its memberships and its app assignments are marked deleted;
 * - `membership_add` / `membership_remove`: no request; that one membership (`${groupId}:${userId}`).
 */
export const REFRESH_KINDS = ['user', 'user_deleted', 'group', 'app', 'app_user', 'membership_add', 'membership_remove'] as const;
export type RefreshKind = (typeof REFRESH_KINDS)[number];

/** One object to bring up to date after events named it (coalesced per object and events job). */
export const refreshJobSchema = z.object({
  tenantId,
  kind: z.enum(REFRESH_KINDS),
  /** The object's store oktaId (memberships and app users: `${parentId}:${userId}`). */
  id: z.string().min(1).max(401),
  /** Earliest `published` of the events that asked for it (lag is measured from here). */
  published: z.string().min(1).max(40),
  /** Latest `published` among them, epoch ms: membership changes older than one applied are skipped. */
  lastPublishedMs: z.number().int().min(0),
});
export type RefreshJob = z.infer<typeof refreshJobSchema>;

export const JOB_SCHEMAS = {
  page: pageJobSchema,
  schedule: scheduleJobSchema,
  webhook: webhookJobSchema,
  purge: purgeJobSchema,
  events: eventsJobSchema,
  watch: watchJobSchema,
  refresh: refreshJobSchema,
} as const;
export type JobName = keyof typeof JOB_SCHEMAS;
export type JobData<N extends JobName> = z.infer<(typeof JOB_SCHEMAS)[N]>;

export function parseJob<N extends JobName>(name: N, data: unknown): JobData<N> {
  return JOB_SCHEMAS[name].parse(data) as JobData<N>;
}

/** Scheduler id of a (tenant, resource) schedule: one schedule per pair, replaced on update. */
export function scheduleId(tenantId: string, resource: string): string {
  return `schedule.${tenantId}.${resource}`;
}

/** Scheduler id of a tenant's System Log watch: one per tenant, replaced on update. */
export function watchSchedulerId(tenantId: string): string {
  return `watch.${tenantId}`;
}

/** The watch's poll interval when none is given, and the smallest allowed (seconds). */
export const WATCH_DEFAULT_INTERVAL_SECONDS = 15;
export const WATCH_MIN_INTERVAL_SECONDS = 5;
export const WATCH_MAX_INTERVAL_SECONDS = 3_600;

/** The retention scheduler: one id for the whole service, so every worker upserting it keeps one. */
export const PURGE_SCHEDULER_ID = 'retention.purge';
/** How often the purge step runs (it is cheap when nothing expired). */
export const PURGE_EVERY_MS = 3_600_000;

/**
 * Deterministic job id of page `page` of a run (or of a fan-out chain under `parentId`).
 * BullMQ ignores an add with an id that still exists, which is what keeps a chain single.
 */
export function pageJobId(job: Pick<PageJob, 'runId' | 'page' | 'parentId' | 'range'>): string {
  const chain = job.parentId ?? job.range;
  return chain === undefined ? `${job.runId}.p${job.page}` : `${job.runId}.${chain}.p${job.page}`;
}

/**
 * Finished page jobs are kept a day so that a retried page's `add` of its successor stays a no-op.
 * Every job of the queue uses these: BullMQ trims the queue's whole finished set to a job's `count`
 * when that job finishes, so one job with a small count would drop every other job's record.
 */
export const KEEP_COMPLETED = { age: 24 * 3600, count: 200_000 } as const;
export const KEEP_FAILED = { age: 7 * 24 * 3600, count: 50_000 } as const;

/** Attempts for transient failures (5xx, resets, timeouts); rate-limit delays spend none. */
export const PAGE_JOB_ATTEMPTS = 8;
