import { type Dispatcher, request } from 'undici';

/**
 * The typed Node client of the okta-sync producer API, for upstream systems:
 *
 * ```ts
 * import { OktaSyncClient } from 'okta-sync';
 * const api = new OktaSyncClient({ baseUrl: 'https://okta-sync.internal', apiKey: process.env.OKTA_SYNC_KEY! });
 * await api.putTenant('acme', { oktaDomain: 'acme.okta.com', clientId, clientSecret });
 * const [run] = await api.startSync('acme', { resources: ['users'] });
 * await api.waitForRun(run!.runId);
 * for await (const user of api.objects('acme', 'users')) console.log(user.oktaId);
 * ```
 * Every non-2xx answer becomes an `OktaSyncApiError` with the API's `status`, `code` and `fields`.
 */

export type Resource = 'users' | 'groups' | 'memberships' | 'apps' | 'logs';
/** Object listings also reach `app_users` (app assignments written by the apps sync). */
export type ObjectResource = Resource | 'app_users';
export type SyncMode = 'full' | 'incremental';
export type RunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
export type TenantStatus = 'active' | 'credentials_invalid' | 'disabled';

/** What registers a tenant: a client secret, or a private key with its `keyId`. */
export interface TenantInput {
  oktaDomain: string;
  clientId: string;
  clientSecret?: string;
  privateKeyPem?: string;
  keyId?: string;
  scopes?: string[];
  dpop?: boolean;
  rateShare?: number;
}

/** A tenant as the API returns it: never with its secret. */
export interface Tenant {
  tenantId: string;
  oktaDomain: string;
  auth: { method: 'client_secret' | 'private_key_jwt'; clientId: string; keyId?: string; dpop: boolean };
  scopes: string[];
  rateShare?: number;
  status: TenantStatus;
  /** On `getTenant` only: the System Log watch. */
  watch?: Watch;
  /** On `getTenant` only: the Okta Event Hook (`okta-sync tenant hooks install`), or null; never its secret. */
  eventHook?: { status: 'installing' | 'installed'; oktaHookId: string | null; uri: string; events: number; updatedAt: string } | null;
  createdAt: string;
  updatedAt: string;
}

/** A tenant's System Log watch (`PUT /v1/tenants/{id}/watch`): its schedule and what the workers last recorded. */
export interface Watch {
  enabled: boolean;
  intervalSeconds: number | null;
  nextPollAt: string | null;
  lastPollAt: string | null;
  lastPollEvents: number;
  /** Why the last tick read nothing (`logs_run_active`, `rate_limited`, …), else null. */
  lastPollSkipped: string | null;
  /** From the last refreshed change's event `published` to its store write. */
  lastLagSeconds: number | null;
  lastRefreshAt: string | null;
}

export interface StartedRun {
  resource: Resource;
  runId: string;
  status: RunStatus;
  /** False when an active run of the same (tenant, resource) was returned instead of a new one. */
  created: boolean;
}

export interface Run {
  runId: string;
  tenantId: string;
  resource: Resource;
  mode: SyncMode;
  status: RunStatus;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  counters: Record<string, number>;
  error: { code: string; message: string } | null;
  warnings: string[];
}

export interface VerifyReport {
  tenantId: string;
  ok: boolean;
  status: TenantStatus;
  grantedScopes: string[];
  resources: Record<Resource, { readable: boolean; scope: string; note?: string }>;
  error?: { code: string; message: string };
}

export interface Schedule {
  every: string;
  everyMs: number;
  mode: SyncMode;
  next: string | null;
}

/** Per resource: `{every: '15m', mode}` sets or replaces, `null` removes, absent leaves alone. */
export type ScheduleChanges = Partial<Record<Resource, { every: string; mode?: SyncMode } | null>>;

export type WebhookEvent = 'run.finished' | 'objects.changed';

/** A tenant's webhook as the API shows it (never with its secret). */
export interface Webhook {
  tenantId: string;
  url: string;
  events: WebhookEvent[];
  createdAt: string;
  updatedAt: string;
}

export interface SyncedObject<T = unknown> {
  tenantId: string;
  type: string;
  oktaId: string;
  data: T;
  oktaLastUpdated: string | null;
  syncedAt: string;
  runId: string;
  deletedAt: string | null;
}

export interface ObjectPage<T = unknown> {
  items: SyncedObject<T>[];
  /** Pass as `after` for the next page; null on the last page. */
  next: string | null;
}

export interface ListObjectsOptions {
  /** 1..1000, default 100. */
  limit?: number;
  after?: string;
  includeDeleted?: boolean;
}

export type ObjectType = 'user' | 'group' | 'membership' | 'app' | 'app_user' | 'log_event';

/** One change-feed entry: an object created or changed (`upsert`, with its data) or deleted. */
export interface ChangeEntry<T = unknown> {
  /** Opaque; pass as `after` to read what came after this entry. */
  cursor: string;
  op: 'upsert' | 'delete';
  type: ObjectType;
  oktaId: string;
  data?: T;
  changedAt: string;
}

export interface ChangePage<T = unknown> {
  items: ChangeEntry<T>[];
  /** Always set: pass as `after` to resume, also when nothing was new. */
  next: string;
}

export interface ChangesOptions {
  /** Resume after this cursor; absent: the oldest retained entry. */
  after?: string;
  types?: ObjectType[];
  /** Entries per request, 1..1000, default 100. */
  limit?: number;
  /** Keep polling for new entries once caught up (until `signal` aborts), default false. */
  follow?: boolean;
  /** Pause between polls when caught up and following, default 2000 ms. */
  pollMs?: number;
  signal?: AbortSignal;
}

export interface OktaSyncClientOptions {
  /** e.g. `https://okta-sync.internal` (a path prefix is kept). */
  baseUrl: string;
  /** One of the server's OKTA_SYNC_API_KEYS. */
  apiKey: string;
  /** Per-request timeout, default 30000 ms. */
  timeoutMs?: number;
  /** An undici dispatcher (pool, proxy agent); default undici's global one. */
  dispatcher?: Dispatcher;
}

/** A non-2xx answer of the API (`status` 0 for network failures and timeouts of `waitForRun`). */
export class OktaSyncApiError extends Error {
  override readonly name = 'OktaSyncApiError';
  readonly status: number;
  /** The API's stable error code (`bad_request`, `unauthorized`, `not_found`, `tenant_not_active`…). */
  readonly code: string;
  /** Field path → what is wrong, on 400s. */
  readonly fields: Record<string, string>;
  /** On `cursor_expired` (410): the change-feed cursor to resume from after re-reading the objects. */
  restartCursor?: string;
  constructor(status: number, code: string, message: string, fields: Record<string, string> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.status = status;
    this.code = code;
    this.fields = fields;
  }
}

export function isOktaSyncApiError(value: unknown, code?: string): value is OktaSyncApiError {
  return value instanceof OktaSyncApiError && (code === undefined || value.code === code);
}

const FINAL: readonly RunStatus[] = ['succeeded', 'failed', 'cancelled'];
const seg = encodeURIComponent;

export class OktaSyncClient {
  private readonly baseUrl: string;
  private readonly apiKey: string;
  private readonly timeoutMs: number;
  private readonly dispatcher: Dispatcher | undefined;

  constructor(options: OktaSyncClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.apiKey = options.apiKey;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.dispatcher = options.dispatcher;
  }

  /** Registers or updates a tenant; `created` tells which. */
  async putTenant(tenantId: string, input: TenantInput): Promise<{ tenant: Tenant; created: boolean }> {
    const { status, body } = await this.call<Tenant>('PUT', `/v1/tenants/${seg(tenantId)}`, { body: input });
    return { tenant: body, created: status === 201 };
  }

  async getTenant(tenantId: string): Promise<Tenant> {
    return (await this.call<Tenant>('GET', `/v1/tenants/${seg(tenantId)}`)).body;
  }

  /** Removes the tenant (schedules, pending jobs, cached tokens); `purgeData` also deletes its data. */
  async deleteTenant(tenantId: string, options: { purgeData?: boolean } = {}): Promise<void> {
    await this.call('DELETE', `/v1/tenants/${seg(tenantId)}${options.purgeData ? '?purgeData=true' : ''}`);
  }

  async verifyTenant(tenantId: string): Promise<VerifyReport> {
    return (await this.call<VerifyReport>('POST', `/v1/tenants/${seg(tenantId)}/verify`)).body;
  }

  /** A single-use link to the customer's connect page (shown once; okta-sync keeps only its hash). */
  async createConnectLink(tenantId: string, options: { expiresInMinutes?: number; returnUrl?: string } = {}): Promise<{ url: string; expiresAt: string }> {
    return (await this.call<{ url: string; expiresAt: string }>('POST', `/v1/tenants/${seg(tenantId)}/connect-links`, { body: options })).body;
  }

  /** One run per resource (an active one is returned instead of a duplicate). Pass `idempotencyKey` to retry safely. */
  async startSync(tenantId: string, options: { resources: Resource[]; mode?: SyncMode; idempotencyKey?: string }): Promise<StartedRun[]> {
    const { body } = await this.call<{ runs: StartedRun[] }>('POST', `/v1/tenants/${seg(tenantId)}/syncs`, {
      body: { resources: options.resources, mode: options.mode ?? 'full' },
      ...(options.idempotencyKey ? { headers: { 'idempotency-key': options.idempotencyKey } } : {}),
    });
    return body.runs;
  }

  async getRun(runId: string): Promise<Run> {
    return (await this.call<Run>('GET', `/v1/runs/${seg(runId)}`)).body;
  }

  /** Most recent first, `limit` 1..1000 (default 50). */
  async listRuns(tenantId: string, options: { limit?: number } = {}): Promise<Run[]> {
    const query = options.limit === undefined ? '' : `?limit=${options.limit}`;
    return (await this.call<{ runs: Run[] }>('GET', `/v1/tenants/${seg(tenantId)}/runs${query}`)).body.runs;
  }

  async setSchedule(tenantId: string, changes: ScheduleChanges): Promise<Partial<Record<Resource, Schedule>>> {
    return (await this.call<{ schedules: Partial<Record<Resource, Schedule>> }>('PUT', `/v1/tenants/${seg(tenantId)}/schedule`, { body: changes }))
      .body.schedules;
  }

  async getSchedule(tenantId: string): Promise<Partial<Record<Resource, Schedule>>> {
    return (await this.call<{ schedules: Partial<Record<Resource, Schedule>> }>('GET', `/v1/tenants/${seg(tenantId)}/schedule`)).body.schedules;
  }

  /** Sets or replaces the tenant's webhook (README "Webhooks"); `secret` signs deliveries and is never returned. */
  /** Turns the watch on (`intervalSeconds` default 15, at least 5) or off. */
  async setWatch(tenantId: string, input: { enabled: boolean; intervalSeconds?: number }): Promise<Watch> {
    return (await this.call<Watch>('PUT', `/v1/tenants/${seg(tenantId)}/watch`, { body: input })).body;
  }

  async getWatch(tenantId: string): Promise<Watch> {
    return (await this.call<Watch>('GET', `/v1/tenants/${seg(tenantId)}/watch`)).body;
  }

  async setWebhook(tenantId: string, input: { url: string; secret: string; events: WebhookEvent[] }): Promise<{ webhook: Webhook; created: boolean }> {
    const { status, body } = await this.call<Webhook>('PUT', `/v1/tenants/${seg(tenantId)}/webhook`, { body: input });
    return { webhook: body, created: status === 201 };
  }

  async getWebhook(tenantId: string): Promise<Webhook> {
    return (await this.call<Webhook>('GET', `/v1/tenants/${seg(tenantId)}/webhook`)).body;
  }

  async deleteWebhook(tenantId: string): Promise<void> {
    await this.call('DELETE', `/v1/tenants/${seg(tenantId)}/webhook`);
  }

  /** One page of synced objects. */
  async listObjects<T = unknown>(tenantId: string, resource: ObjectResource, options: ListObjectsOptions = {}): Promise<ObjectPage<T>> {
    const q = new URLSearchParams();
    if (options.limit !== undefined) q.set('limit', String(options.limit));
    if (options.after !== undefined) q.set('after', options.after);
    if (options.includeDeleted) q.set('includeDeleted', 'true');
    const query = q.size > 0 ? `?${q}` : '';
    return (await this.call<ObjectPage<T>>('GET', `/v1/tenants/${seg(tenantId)}/objects/${seg(resource)}${query}`)).body;
  }

  /** Every synced object of a resource, page after page. */
  async *objects<T = unknown>(tenantId: string, resource: ObjectResource, options: Omit<ListObjectsOptions, 'after'> = {}): AsyncGenerator<SyncedObject<T>> {
    let after: string | undefined;
    do {
      const page: ObjectPage<T> = await this.listObjects<T>(tenantId, resource, { ...options, ...(after === undefined ? {} : { after }) });
      yield* page.items;
      after = page.next ?? undefined;
    } while (after !== undefined);
  }

  /**
   * One page of the tenant's change feed. A cursor older than retention throws an
   * `OktaSyncApiError` with code `cursor_expired` (status 410) and `restartCursor`: re-read
   * `objects()`, then resume from that cursor.
   */
  async listChanges<T = unknown>(tenantId: string, options: Omit<ChangesOptions, 'follow' | 'pollMs' | 'signal'> = {}): Promise<ChangePage<T>> {
    const q = new URLSearchParams();
    if (options.limit !== undefined) q.set('limit', String(options.limit));
    if (options.after !== undefined) q.set('after', options.after);
    if (options.types && options.types.length > 0) q.set('types', options.types.join(','));
    const query = q.size > 0 ? `?${q}` : '';
    return (await this.call<ChangePage<T>>('GET', `/v1/tenants/${seg(tenantId)}/changes${query}`)).body;
  }

  /**
   * The change feed entry by entry, from `after` until caught up (or, with `follow`, until
   * `signal` aborts). Keep the `cursor` of the last entry you handled to resume exactly after it.
   */
  async *changes<T = unknown>(tenantId: string, options: ChangesOptions = {}): AsyncGenerator<ChangeEntry<T>> {
    let after = options.after;
    const { follow, pollMs, signal, ...page } = options;
    for (;;) {
      signal?.throwIfAborted();
      const { items, next }: ChangePage<T> = await this.listChanges<T>(tenantId, { ...page, ...(after === undefined ? {} : { after }) });
      yield* items;
      after = next;
      if (items.length >= (options.limit ?? 100)) continue;
      if (!follow) return;
      await abortableSleep(pollMs ?? 2_000, signal);
    }
  }

  /** Polls a run until it is final (succeeded, failed or cancelled); throws `wait_timeout` after `timeoutMs`. */
  async waitForRun(runId: string, options: { timeoutMs?: number; pollMs?: number; signal?: AbortSignal } = {}): Promise<Run> {
    const deadline = Date.now() + (options.timeoutMs ?? 10 * 60_000);
    for (;;) {
      const run = await this.getRun(runId);
      if (FINAL.includes(run.status)) return run;
      if (Date.now() >= deadline) throw new OktaSyncApiError(0, 'wait_timeout', `run ${runId} is still ${run.status}`);
      options.signal?.throwIfAborted();
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 1_000));
    }
  }

  private async call<T = unknown>(
    method: 'GET' | 'PUT' | 'POST' | 'DELETE',
    path: string,
    options: { body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<{ status: number; body: T }> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.apiKey}`, accept: 'application/json', ...options.headers };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    let res: Dispatcher.ResponseData;
    try {
      res = await request(`${this.baseUrl}${path}`, {
        method,
        headers,
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
        ...(this.dispatcher ? { dispatcher: this.dispatcher } : {}),
      });
    } catch (cause) {
      throw new OktaSyncApiError(0, 'network_error', `${method} ${path.split('?')[0]} failed: ${(cause as Error).message}`, {}, { cause });
    }
    const text = await res.body.text();
    const json = text === '' ? undefined : safeJson(text);
    if (res.statusCode >= 200 && res.statusCode < 300) return { status: res.statusCode, body: json as T };
    const error = (json as { error?: { code?: unknown; message?: unknown; fields?: unknown; restartCursor?: unknown } } | undefined)?.error;
    const failure = new OktaSyncApiError(
      res.statusCode,
      typeof error?.code === 'string' ? error.code : `http_${res.statusCode}`,
      typeof error?.message === 'string' ? error.message : `${method} ${path.split('?')[0]} answered ${res.statusCode}`,
      typeof error?.fields === 'object' && error.fields !== null ? (error.fields as Record<string, string>) : {},
    );
    if (typeof error?.restartCursor === 'string') failure.restartCursor = error.restartCursor;
    throw failure;
  }
}

function abortableSleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      if (signal?.aborted) reject(signal.reason);
      else resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
