import type { RunId, TenantId } from '../ids.js';
import type { Resource } from '../resources.js';
import type { ChangesPage, ChangesQuery, FeedRange } from './change-feed.js';

/**
 * The store port: everything the producer, the workers and the CLI need from persistence.
 * Adapters: `sqlite-store.ts` (embedded default) and `mongodb-store.ts` (production).
 * Times are ISO-8601 strings at this boundary so records are plain JSON.
 */
export const TENANT_STATUSES = ['active', 'credentials_invalid', 'disabled'] as const;
export type TenantStatus = (typeof TENANT_STATUSES)[number];

export const AUTH_METHODS = ['client_secret', 'private_key_jwt'] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

export interface TenantAuth {
  method: AuthMethod;
  clientId: string;
  /** The client secret or the private key PEM, encrypted with the keyring (never plaintext). */
  credential: string;
  /** `kid` of the private key, for private_key_jwt. */
  keyId?: string;
  dpop: boolean;
}

export interface TenantRecord {
  tenantId: TenantId;
  oktaDomain: string;
  auth: TenantAuth;
  /** Scopes granted to the integration in this org (what we may ask for). */
  scopes: string[];
  /** Per-tenant override of OKTA_SYNC_RATE_SHARE. */
  rateShare?: number;
  status: TenantStatus;
  createdAt: string;
  updatedAt: string;
}

export const OBJECT_TYPES = ['user', 'group', 'membership', 'app', 'app_user', 'log_event'] as const;
export type ObjectType = (typeof OBJECT_TYPES)[number];

export interface StoredObject {
  tenantId: TenantId;
  type: ObjectType;
  oktaId: string;
  data: unknown;
  oktaLastUpdated: string | null;
  syncedAt: string;
  runId: RunId;
  deletedAt: string | null;
}

/** An object as a page job writes it; the store adds tenantId, type, runId, syncedAt. */
export interface ObjectWrite {
  oktaId: string;
  data: unknown;
  oktaLastUpdated: string | null;
}

export const RUN_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const ACTIVE_RUN_STATUSES: readonly RunStatus[] = ['queued', 'running'];

export const SYNC_MODES = ['full', 'incremental'] as const;
export type SyncMode = (typeof SYNC_MODES)[number];

export interface RunCounters {
  pages: number;
  objects: number;
  deleted: number;
  requests: number;
  rateLimited: number;
  retries: number;
  tokenFetches: number;
  rateLimitWaitMs: number;
}

export const EMPTY_COUNTERS: Readonly<RunCounters> = Object.freeze({
  pages: 0,
  objects: 0,
  deleted: 0,
  requests: 0,
  rateLimited: 0,
  retries: 0,
  tokenFetches: 0,
  rateLimitWaitMs: 0,
});

export interface RunRecord {
  runId: RunId;
  tenantId: TenantId;
  resource: Resource;
  mode: SyncMode;
  status: RunStatus;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  counters: RunCounters;
  error: { code: string; message: string } | null;
  /** Free-form notes for operators, e.g. "0 users returned: no admin role assigned?". */
  warnings: string[];
}

export interface PageCommit {
  tenantId: TenantId;
  runId: RunId;
  type: ObjectType;
  /** Identifies the page within the run; a page committed twice counts once. */
  pageKey: string;
  objects: ObjectWrite[];
  /** When the page was written (becomes `syncedAt`). */
  at: string;
}

export interface ListObjectsQuery {
  tenantId: TenantId;
  type: ObjectType;
  /** Opaque cursor from a previous page's `next`. */
  after?: string;
  /** Page size (callers clamp it); `limit < 1` returns no items. */
  limit: number;
  includeDeleted?: boolean;
}

export interface SweepQuery {
  tenantId: TenantId;
  type: ObjectType;
  /** Objects not written by this run are marked deleted. */
  runId: RunId;
  at: string;
  /** Restrict the sweep to oktaIds with this prefix (memberships of one group). */
  oktaIdPrefix?: string;
  /** Restrict the sweep to this one oktaId (a targeted refresh found the object gone). */
  oktaId?: string;
  /**
   * Restrict the sweep to oktaIds ending with this (the memberships of one hard-deleted user,
   * `:${userId}`). Not an index range: a scan of the tenant's live objects of the type, for rare events.
   */
  oktaIdSuffix?: string;
  /**
   * The run these deletions count toward when `runId` is a stand-in (default `runId`): the store adds
   * them to its `deleted` counter (`finishRun` recounts them from the tombstones, so callers never add
   * `deleted` themselves) and files their feed entries under it (`feedRangeOfRun`).
   */
  countFor?: RunId;
}

export const WEBHOOK_EVENTS = ['run.finished', 'objects.changed', 'tenant.connected'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** A tenant's outgoing webhook (one per tenant); removed with the tenant. */
export interface WebhookRecord {
  tenantId: TenantId;
  url: string;
  /** The signing secret, encrypted with the keyring (never plaintext, never returned). */
  secret: string;
  events: WebhookEvent[];
  createdAt: string;
  updatedAt: string;
}

export const EVENT_HOOK_STATUSES = ['installing', 'installed'] as const;
export type EventHookStatus = (typeof EVENT_HOOK_STATUSES)[number];

/**
 * A tenant's Okta Event Hook (`okta-sync tenant hooks install`; one per tenant, replaced by a new
 * install, removed with the tenant). `installing` from before the hook is created in the org until
 * Okta verified it, so the verification GET already finds the tenant.
 */
export interface EventHookRecord {
  tenantId: TenantId;
  /** The hook's id in the customer's org; null until Okta created it. */
  oktaHookId: string | null;
  /** The channel URI Okta calls: `<public-url>/v1/hooks/okta/<tenantId>`. */
  uri: string;
  /** The auth header value Okta sends with each call, encrypted with the keyring (never plaintext, never returned). */
  secret: string;
  /** The event types the hook subscribes to. */
  events: string[];
  status: EventHookStatus;
  createdAt: string;
  updatedAt: string;
}

/**
 * A single-use onboarding link (`POST /v1/tenants/{id}/connect-links`). Only the SHA-256 of the
 * link token is stored: whoever reads the store cannot open the customer's connect page.
 */
export interface ConnectLinkRecord {
  /** Hex SHA-256 of the link token; the key. */
  tokenHash: string;
  tenantId: TenantId;
  createdAt: string;
  expiresAt: string;
  /** Where the page sends the customer when done (origin allow-listed at creation), or null. */
  returnUrl: string | null;
  /** Random key the page's form tokens are signed with (CSRF); useless without the link token. */
  formKey: string;
  /** Submissions counted so far (bounded by the caller's limit). */
  attempts: number;
  usedAt: string | null;
}

/** How long the store keeps what it no longer needs (DESIGN.md "Store", Retention). */
export interface RetentionPolicy {
  /** Deleted objects (tombstones) are purged this many days after `deletedAt`. */
  tombstoneDays: number;
  /** Final runs are purged this many days after `finishedAt`. */
  runHistoryDays: number;
  /** Change-feed entries are purged after this many days (used once the feed exists). */
  changesDays: number;
  /**
   * System Log events (`log_event` objects) are purged this many days after their `published`
   * (Okta itself keeps 90): a watched org writes events all day, so without it the store grows forever.
   */
  logEventDays: number;
}

export const DEFAULT_RETENTION: Readonly<RetentionPolicy> = Object.freeze({ tombstoneDays: 30, runHistoryDays: 90, changesDays: 7, logEventDays: 90 });

/** Page records are kept this long after their run became final (a retried page of a final run is a no-op). */
export const RUN_PAGES_KEEP_DAYS = 1;

/** What one purge removed, by purge task name (`tombstones`, `runs`, `run_pages`, …). */
export type PurgeReport = Record<string, number>;

export interface SyncStore {
  // tenants
  putTenant(tenant: TenantRecord): Promise<{ created: boolean }>;
  getTenant(tenantId: TenantId): Promise<TenantRecord | undefined>;
  listTenants(): Promise<TenantRecord[]>;
  setTenantStatus(tenantId: TenantId, status: TenantStatus, at: string): Promise<void>;
  /**
   * Removes the tenant, its webhook and its event hook record; with `purgeData` also its objects, runs, page records and
   * sync state, data first and the tenant record last, so a purge that fails half-way is finished by
   * calling it again. Returns whether the tenant record existed.
   */
  deleteTenant(tenantId: TenantId, options: { purgeData: boolean }): Promise<boolean>;

  // runs
  /**
   * Inserts `run` unless a queued or running run exists for (tenant, resource) (whatever `run.status`
   * is); returns the one that stands. A `runId` that exists already returns that run, `created: false`.
   */
  createRunUnlessActive(run: RunRecord): Promise<{ run: RunRecord; created: boolean }>;
  getRun(runId: RunId): Promise<RunRecord | undefined>;
  /** Newest first; `tenantId` filters when present (even when empty); `limit < 1` returns none. */
  listRuns(query: { tenantId?: TenantId; limit: number }): Promise<RunRecord[]>;
  markRunRunning(runId: RunId, at: string): Promise<void>;
  /** Adds to counters that count events (requests, 429s…), not idempotent by design. */
  addRunCounters(runId: RunId, delta: Partial<RunCounters>): Promise<void>;
  addRunWarning(runId: RunId, warning: string): Promise<void>;
  /**
   * Moves an active run to a final status; false when it was already final (finish exactly once).
   * `pages`, `objects` and `deleted` are recounted from the page records and tombstones here, so they
   * are exact whatever crashed during the run.
   */
  finishRun(
    runId: RunId,
    outcome: { status: 'succeeded' | 'failed' | 'cancelled'; at: string; error?: { code: string; message: string } },
  ): Promise<boolean>;

  // objects
  /**
   * Upserts a page's objects and records the page, atomically; false when the page was already
   * committed. Appends a feed entry for each object created, changed (content hash) or undeleted.
   */
  commitPage(page: PageCommit): Promise<boolean>;
  /** Marks objects that this run did not write as deleted, with a feed entry each; returns how many. */
  sweep(query: SweepQuery): Promise<number>;
  listObjects(query: ListObjectsQuery): Promise<{ items: StoredObject[]; next: string | null }>;
  countObjects(query: { tenantId: TenantId; type: ObjectType; includeDeleted?: boolean }): Promise<number>;

  // change feed (see change-feed.ts)
  /** Entries after `after` in commit order; throws CursorExpiredError for a cursor older than retention. */
  readChanges(query: ChangesQuery): Promise<ChangesPage>;
  /** The cursors of the entries one run appended; null when it appended none (or they were purged). */
  feedRangeOfRun(runId: RunId): Promise<FeedRange | null>;
  /** Retention: removes entries changed before `before` (every tenant); returns how many. */
  purgeChangesBefore(before: string): Promise<number>;

  // retention
  /**
   * Deletes what `policy` no longer keeps, as of `now` (injectable for tests and benches): tombstones,
   * final runs, page records of runs final for a day. Idempotent, in bounded batches.
   */
  purgeExpired(policy: RetentionPolicy, now: Date): Promise<PurgeReport>;

  // sync state
  getWatermark(tenantId: TenantId, resource: Resource): Promise<string | undefined>;
  setWatermark(tenantId: TenantId, resource: Resource, watermark: string, at: string): Promise<void>;

  // webhooks
  /** Creates or replaces the tenant's webhook (keeps `createdAt` on replace). */
  putWebhook(webhook: WebhookRecord): Promise<{ created: boolean }>;
  getWebhook(tenantId: TenantId): Promise<WebhookRecord | undefined>;
  deleteWebhook(tenantId: TenantId): Promise<boolean>;
  // Okta Event Hook (incoming deliveries)
  /** Creates or replaces the tenant's event hook record (keeps `createdAt` on replace). */
  putEventHook(hook: EventHookRecord): Promise<{ created: boolean }>;
  getEventHook(tenantId: TenantId): Promise<EventHookRecord | undefined>;
  deleteEventHook(tenantId: TenantId): Promise<boolean>;
  // connect links (onboarding)
  createConnectLink(link: ConnectLinkRecord): Promise<void>;
  getConnectLink(tokenHash: string): Promise<ConnectLinkRecord | undefined>;
  /** Counts one submission unless the link is used or already has `max`; the new count, or undefined when refused. */
  countConnectAttempt(tokenHash: string, max: number): Promise<number | undefined>;
  /** Marks the link used; false when it already was (exactly one submission wins). */
  useConnectLink(tokenHash: string, at: string): Promise<boolean>;

  close(): Promise<void>;
}
