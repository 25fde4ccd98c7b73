import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { RunId, TenantId } from '../ids.js';
import type { Resource } from '../resources.js';
import type { ChangeFeedOptions, ChangesPage, ChangesQuery, FeedRange } from './change-feed.js';
import { SqliteChangeFeed } from './sqlite-change-feed.js';
import { SQLITE_QUERIES as Q } from './sqlite-queries.js';
import { retentionCutoffs } from './retention.js';
import { purgeSqlite } from './sqlite-purge.js';
import { migrateSqlite } from './sqlite-schema.js';
import type { StoreTestHooks } from './store-hooks.js';
import {
  EMPTY_COUNTERS,
  type ConnectLinkRecord,
  type EventHookRecord,
  type ListObjectsQuery,
  type ObjectType,
  type PageCommit,
  type PurgeReport,
  type RetentionPolicy,
  type RunCounters,
  type RunRecord,
  type StoredObject,
  type SweepQuery,
  type SyncStore,
  type TenantRecord,
  type TenantStatus,
  type WebhookRecord,
} from './sync-store.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { deleteWebhookRow, getWebhookRow, putWebhookRow } from './sqlite-webhooks.js';
import { SqliteConnectLinks } from './sqlite-connect-links.js';
import { deleteEventHookRow, getEventHookRow, putEventHookRow } from './sqlite-event-hooks.js';
import { counterSets, objectFromRow, type Row, runFromRow, tenantFromRow } from './sqlite-rows.js';


export interface SqliteStoreOptions {
  /** Crash-injection points for tests; never set in production. */
  hooks?: StoreTestHooks;
  /** The change feed: on by default. */
  feed?: ChangeFeedOptions;
}

/**
 * The embedded store: one SQLite file in WAL mode, safe for several processes (each write is one
 * IMMEDIATE transaction; readers never block writers).
 */
export class SqliteStore implements SyncStore {
  private readonly db: Database.Database;
  private readonly feed: SqliteChangeFeed;
  private readonly links: SqliteConnectLinks;
  private readonly hooks: StoreTestHooks;

  constructor(path: string, options: SqliteStoreOptions = {}) {
    this.hooks = options.hooks ?? {};
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 15000');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = OFF');
    migrateSqlite(this.db);
    this.feed = new SqliteChangeFeed(this.db, options.feed);
    this.links = new SqliteConnectLinks(this.db);
  }

  async putTenant(t: TenantRecord): Promise<{ created: boolean }> {
    const tx = this.db.transaction(() => {
      const existing = this.db.prepare('SELECT created_at FROM tenants WHERE tenant_id = ?').get(t.tenantId) as
        | Row
        | undefined;
      this.db
        .prepare(
          `INSERT INTO tenants (tenant_id, okta_domain, auth, scopes, rate_share, status, created_at, updated_at)
           VALUES (@tenantId, @oktaDomain, @auth, @scopes, @rateShare, @status, @createdAt, @updatedAt)
           ON CONFLICT (tenant_id) DO UPDATE SET okta_domain = excluded.okta_domain, auth = excluded.auth,
             scopes = excluded.scopes, rate_share = excluded.rate_share, status = excluded.status,
             updated_at = excluded.updated_at`,
        )
        .run({
          tenantId: t.tenantId,
          oktaDomain: t.oktaDomain,
          auth: JSON.stringify(t.auth),
          scopes: JSON.stringify(t.scopes),
          rateShare: t.rateShare ?? null,
          status: t.status,
          createdAt: t.createdAt,
          updatedAt: t.updatedAt,
        });
      return { created: existing === undefined };
    });
    return tx.immediate();
  }

  async getTenant(tenantId: TenantId): Promise<TenantRecord | undefined> {
    const row = this.db.prepare('SELECT * FROM tenants WHERE tenant_id = ?').get(tenantId) as Row | undefined;
    return row ? tenantFromRow(row) : undefined;
  }

  async listTenants(): Promise<TenantRecord[]> {
    return (this.db.prepare('SELECT * FROM tenants ORDER BY tenant_id').all() as Row[]).map(tenantFromRow);
  }

  async setTenantStatus(tenantId: TenantId, status: TenantStatus, at: string): Promise<void> {
    this.db.prepare('UPDATE tenants SET status = ?, updated_at = ? WHERE tenant_id = ?').run(status, at, tenantId);
  }

  async deleteTenant(tenantId: TenantId, options: { purgeData: boolean }): Promise<boolean> {
    // One transaction, so all or nothing; data first anyway, in the same order as MongoDB.
    const tx = this.db.transaction(() => {
      deleteWebhookRow(this.db, tenantId);
      deleteEventHookRow(this.db, tenantId);
      // Outstanding onboarding links die with the tenant (they would re-create it).
      this.links.deleteForTenant(tenantId);
      if (options.purgeData) {
        for (const sql of [Q.deleteTenantObjects, Q.deleteTenantRuns, Q.deleteTenantPages, Q.deleteTenantState]) {
          this.db.prepare(sql).run({ tenantId });
        }
        this.feed.purgeTenant(tenantId);
        this.hooks.beforeTenantRecord?.();
      }
      return this.db.prepare('DELETE FROM tenants WHERE tenant_id = ?').run(tenantId).changes > 0;
    });
    return tx.immediate();
  }

  async putWebhook(webhook: WebhookRecord): Promise<{ created: boolean }> {
    return putWebhookRow(this.db, webhook);
  }

  async getWebhook(tenantId: TenantId): Promise<WebhookRecord | undefined> {
    return getWebhookRow(this.db, tenantId);
  }

  async deleteWebhook(tenantId: TenantId): Promise<boolean> {
    return deleteWebhookRow(this.db, tenantId);
  }

  async putEventHook(hook: EventHookRecord): Promise<{ created: boolean }> {
    return putEventHookRow(this.db, hook);
  }

  async getEventHook(tenantId: TenantId): Promise<EventHookRecord | undefined> {
    return getEventHookRow(this.db, tenantId);
  }

  async deleteEventHook(tenantId: TenantId): Promise<boolean> {
    return deleteEventHookRow(this.db, tenantId);
  }

  async createRunUnlessActive(run: RunRecord): Promise<{ run: RunRecord; created: boolean }> {
    const tx = this.db.transaction(() => {
      const existing = this.db.prepare(Q.runById).get({ runId: run.runId }) as Row | undefined;
      if (existing) return { run: runFromRow(existing), created: false };
      const active = this.db.prepare(Q.activeRun).get({ tenantId: run.tenantId, resource: run.resource }) as Row | undefined;
      if (active) return { run: runFromRow(active), created: false };
      this.db
        .prepare(
          `INSERT INTO runs (run_id, tenant_id, resource, mode, status, created_at, started_at, finished_at, error, warnings)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          run.runId,
          run.tenantId,
          run.resource,
          run.mode,
          run.status,
          run.createdAt,
          run.startedAt,
          run.finishedAt,
          run.error ? JSON.stringify(run.error) : null,
          JSON.stringify(run.warnings),
        );
      return { run: { ...run, counters: { ...EMPTY_COUNTERS } }, created: true };
    });
    return tx.immediate();
  }

  async getRun(runId: RunId): Promise<RunRecord | undefined> {
    const row = this.db.prepare(Q.runById).get({ runId }) as Row | undefined;
    return row ? runFromRow(row) : undefined;
  }

  async listRuns(query: { tenantId?: TenantId; limit: number }): Promise<RunRecord[]> {
    // SQLite reads a negative LIMIT as "no limit"; MongoDB reads 0 so. Neither is what a caller means.
    if (query.limit < 1) return [];
    const rows =
      query.tenantId === undefined
        ? this.db.prepare(Q.runsOfAll).all({ limit: query.limit })
        : this.db.prepare(Q.runsOfTenant).all({ tenantId: query.tenantId, limit: query.limit });
    return (rows as Row[]).map(runFromRow);
  }

  async markRunRunning(runId: RunId, at: string): Promise<void> {
    this.db
      .prepare(`UPDATE runs SET status = 'running', started_at = COALESCE(started_at, ?) WHERE run_id = ? AND status = 'queued'`)
      .run(at, runId);
  }

  async addRunCounters(runId: RunId, delta: Partial<RunCounters>): Promise<void> {
    const sets = counterSets(delta);
    if (sets.length === 0) return;
    this.db.prepare(`UPDATE runs SET ${sets.join(', ')} WHERE run_id = @runId`).run({ ...delta, runId });
  }

  async addRunWarning(runId: RunId, warning: string): Promise<void> {
    const tx = this.db.transaction(() => {
      const row = this.db.prepare('SELECT warnings FROM runs WHERE run_id = ?').get(runId) as Row | undefined;
      if (!row) return;
      const warnings = JSON.parse(String(row.warnings)) as string[];
      if (warnings.includes(warning)) return;
      warnings.push(warning);
      this.db.prepare('UPDATE runs SET warnings = ? WHERE run_id = ?').run(JSON.stringify(warnings), runId);
    });
    tx.immediate();
  }

  async finishRun(
    runId: RunId,
    outcome: { status: 'succeeded' | 'failed' | 'cancelled'; at: string; error?: { code: string; message: string } },
  ): Promise<boolean> {
    const error = outcome.error ? JSON.stringify(outcome.error) : null;
    return this.db.prepare(Q.finishRun).run({ runId, status: outcome.status, at: outcome.at, error }).changes > 0;
  }

  async commitPage(page: PageCommit): Promise<boolean> {
    const upsert = this.db.prepare(
      `INSERT INTO objects (tenant_id, type, okta_id, data, okta_last_updated, synced_at, run_id, deleted_at, data_hash)
       VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?)
       ON CONFLICT (tenant_id, type, okta_id) DO UPDATE SET data = excluded.data,
         okta_last_updated = excluded.okta_last_updated, synced_at = excluded.synced_at,
         run_id = excluded.run_id, deleted_at = NULL, data_hash = excluded.data_hash`,
    );
    let appended = 0;
    const tx = this.db.transaction(() => {
      const { writes, changed } = this.feed.preparePage(page);
      for (const { object: o, json, hash } of writes) {
        upsert.run(page.tenantId, page.type, o.oktaId, json, o.oktaLastUpdated, page.at, page.runId, hash);
      }
      appended = this.feed.appendUpserts(page, changed);
      this.hooks.afterPageObjects?.();
      const first =
        this.db
          .prepare(
            'INSERT OR IGNORE INTO run_pages (run_id, page_key, tenant_id, objects, committed_at) VALUES (?, ?, ?, ?, ?)',
          )
          .run(page.runId, page.pageKey, page.tenantId, page.objects.length, page.at).changes > 0;
      this.hooks.afterPageRecord?.();
      if (first) {
        this.db
          .prepare('UPDATE runs SET pages = pages + 1, objects = objects + ? WHERE run_id = ?')
          .run(page.objects.length, page.runId);
      }
      return first;
    });
    const first = tx.immediate();
    this.feed.reported(page.tenantId, 'upsert', appended);
    return first;
  }

  async sweep(q: SweepQuery): Promise<number> {
    const params = { tenantId: q.tenantId, type: q.type, runId: q.runId, at: q.at, countFor: q.countFor ?? q.runId };
    const tx = this.db.transaction(() => {
      const swept = (
        q.oktaId !== undefined
          ? this.db.prepare(`${Q.sweepOne} RETURNING okta_id`).all({ ...params, oktaId: q.oktaId })
          : q.oktaIdSuffix
            ? this.db.prepare(`${Q.sweepSuffix} RETURNING okta_id`).all({ ...params, suffix: q.oktaIdSuffix })
            : q.oktaIdPrefix
              ? this.db.prepare(`${Q.sweepPrefix} RETURNING okta_id`).all({ ...params, prefix: q.oktaIdPrefix })
              : this.db.prepare(`${Q.sweepAll} RETURNING okta_id`).all(params)
      ) as Row[];
      const oktaIds = swept.map((r) => String(r.okta_id));
      if (oktaIds.length > 0) this.db.prepare(Q.countDeleted).run({ deleted: oktaIds.length, runId: params.countFor });
      return { count: oktaIds.length, appended: this.feed.appendDeletes(q.tenantId, q.countFor ?? q.runId, q.type, oktaIds, q.at) };
    });
    const { count, appended } = tx.immediate();
    this.feed.reported(q.tenantId, 'delete', appended);
    return count;
  }

  async readChanges(q: ChangesQuery): Promise<ChangesPage> {
    return this.feed.read(q);
  }

  async feedRangeOfRun(runId: RunId): Promise<FeedRange | null> {
    return this.feed.rangeOfRun(runId);
  }

  async purgeChangesBefore(before: string): Promise<number> {
    return this.feed.purgeBefore(before);
  }

  async listObjects(q: ListObjectsQuery): Promise<{ items: StoredObject[]; next: string | null }> {
    const after = q.after === undefined ? '' : decodeCursor(q.after);
    if (q.limit < 1) return { items: [], next: null };
    const rows = this.db
      .prepare(q.includeDeleted ? Q.listAll : Q.listLive)
      .all({ tenantId: q.tenantId, type: q.type, after, limit: q.limit }) as Row[];
    const items = rows.map(objectFromRow);
    const last = items.at(-1);
    return { items, next: items.length === q.limit && last ? encodeCursor(last.oktaId) : null };
  }

  async countObjects(q: { tenantId: TenantId; type: ObjectType; includeDeleted?: boolean }): Promise<number> {
    const row = this.db.prepare(q.includeDeleted ? Q.countAll : Q.countLive).get({ tenantId: q.tenantId, type: q.type }) as Row;
    return Number(row.n);
  }

  async purgeExpired(policy: RetentionPolicy, now: Date): Promise<PurgeReport> {
    const report = purgeSqlite(this.db, policy, now);
    // The feed purges through its own call: it also raises each tenant's purgedThrough (410 below it).
    report.changes = await this.feed.purgeBefore(retentionCutoffs(policy, now).changes.toISOString());
    return report;
  }

  async getWatermark(tenantId: TenantId, resource: Resource): Promise<string | undefined> {
    const row = this.db.prepare(Q.watermark).get({ tenantId, resource }) as Row | undefined;
    return row ? String(row.watermark) : undefined;
  }

  async setWatermark(tenantId: TenantId, resource: Resource, watermark: string, at: string): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO sync_state (tenant_id, resource, watermark, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (tenant_id, resource) DO UPDATE SET watermark = excluded.watermark, updated_at = excluded.updated_at`,
      )
      .run(tenantId, resource, watermark, at);
  }

  async createConnectLink(link: ConnectLinkRecord): Promise<void> {
    this.links.create(link);
  }

  async getConnectLink(tokenHash: string): Promise<ConnectLinkRecord | undefined> {
    return this.links.get(tokenHash);
  }

  async countConnectAttempt(tokenHash: string, max: number): Promise<number | undefined> {
    return this.links.countAttempt(tokenHash, max);
  }

  async useConnectLink(tokenHash: string, at: string): Promise<boolean> {
    return this.links.use(tokenHash, at);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
