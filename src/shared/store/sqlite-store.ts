import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { RunId, TenantId } from '../ids.js';
import type { Resource } from '../resources.js';
import type { ChangeFeedOptions, ChangesPage, ChangesQuery, FeedRange } from './change-feed.js';
import { SqliteChangeFeed } from './sqlite-change-feed.js';
import { SQLITE_SCHEMA } from './sqlite-schema.js';
import {
  EMPTY_COUNTERS,
  type ConnectLinkRecord,
  type ListObjectsQuery,
  type ObjectType,
  type PageCommit,
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

/** Counter name → column, the one place both directions are spelled out. */
const COUNTER_COLUMNS: Readonly<Record<keyof RunCounters, string>> = {
  pages: 'pages',
  objects: 'objects',
  deleted: 'deleted',
  requests: 'requests',
  rateLimited: 'rate_limited',
  retries: 'retries',
  tokenFetches: 'token_fetches',
  rateLimitWaitMs: 'rate_limit_wait_ms',
};

type Row = Record<string, unknown>;

/**
 * The embedded store: one SQLite file in WAL mode, safe for several processes (each write is one
 * IMMEDIATE transaction; readers never block writers).
 */
export class SqliteStore implements SyncStore {
  private readonly db: Database.Database;
  private readonly feed: SqliteChangeFeed;
  private readonly links: SqliteConnectLinks;

  constructor(path: string, options: { feed?: ChangeFeedOptions } = {}) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 15000');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = OFF');
    this.db.exec(SQLITE_SCHEMA);
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
    const tx = this.db.transaction(() => {
      const removed = this.db.prepare('DELETE FROM tenants WHERE tenant_id = ?').run(tenantId).changes > 0;
      deleteWebhookRow(this.db, tenantId);
      // Outstanding onboarding links die with the tenant (they would re-create it).
      this.links.deleteForTenant(tenantId);
      if (options.purgeData) {
        for (const table of ['objects', 'runs', 'run_pages', 'sync_state']) {
          this.db.prepare(`DELETE FROM ${table} WHERE tenant_id = ?`).run(tenantId);
        }
        this.feed.purgeTenant(tenantId);
      }
      return removed;
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

  async createRunUnlessActive(run: RunRecord): Promise<{ run: RunRecord; created: boolean }> {
    const tx = this.db.transaction(() => {
      const active = this.db
        .prepare(`SELECT * FROM runs WHERE tenant_id = ? AND resource = ? AND status IN ('queued', 'running')`)
        .get(run.tenantId, run.resource) as Row | undefined;
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
    const row = this.db.prepare('SELECT * FROM runs WHERE run_id = ?').get(runId) as Row | undefined;
    return row ? runFromRow(row) : undefined;
  }

  async listRuns(query: { tenantId?: TenantId; limit: number }): Promise<RunRecord[]> {
    const rows = query.tenantId
      ? this.db
          .prepare('SELECT * FROM runs WHERE tenant_id = ? ORDER BY created_at DESC, run_id DESC LIMIT ?')
          .all(query.tenantId, query.limit)
      : this.db.prepare('SELECT * FROM runs ORDER BY created_at DESC, run_id DESC LIMIT ?').all(query.limit);
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
    const result = this.db
      .prepare(
        `UPDATE runs SET status = ?, finished_at = ?, error = ?, started_at = COALESCE(started_at, ?)
         WHERE run_id = ? AND status IN ('queued', 'running')`,
      )
      .run(outcome.status, outcome.at, outcome.error ? JSON.stringify(outcome.error) : null, outcome.at, runId);
    return result.changes > 0;
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
      const first =
        this.db
          .prepare(
            'INSERT OR IGNORE INTO run_pages (run_id, page_key, tenant_id, objects, committed_at) VALUES (?, ?, ?, ?, ?)',
          )
          .run(page.runId, page.pageKey, page.tenantId, page.objects.length, page.at).changes > 0;
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
    const prefix = q.oktaIdPrefix ?? '';
    const tx = this.db.transaction(() => {
      const swept = this.db
        .prepare(
          `UPDATE objects SET deleted_at = ?
           WHERE tenant_id = ? AND type = ? AND run_id != ? AND deleted_at IS NULL
             AND substr(okta_id, 1, length(?)) = ? RETURNING okta_id`,
        )
        .all(q.at, q.tenantId, q.type, q.runId, prefix, prefix) as Row[];
      const oktaIds = swept.map((r) => String(r.okta_id));
      return { count: oktaIds.length, appended: this.feed.appendDeletes(q.tenantId, q.feedRunId ?? q.runId, q.type, oktaIds, q.at) };
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
    const rows = this.db
      .prepare(
        `SELECT * FROM objects WHERE tenant_id = ? AND type = ? AND okta_id > ?
         ${q.includeDeleted ? '' : 'AND deleted_at IS NULL'} ORDER BY okta_id LIMIT ?`,
      )
      .all(q.tenantId, q.type, after, q.limit) as Row[];
    const items = rows.map(objectFromRow);
    const last = items.at(-1);
    return { items, next: items.length === q.limit && last ? encodeCursor(last.oktaId) : null };
  }

  async countObjects(q: { tenantId: TenantId; type: ObjectType; includeDeleted?: boolean }): Promise<number> {
    const row = this.db
      .prepare(
        `SELECT COUNT(*) AS n FROM objects WHERE tenant_id = ? AND type = ? ${q.includeDeleted ? '' : 'AND deleted_at IS NULL'}`,
      )
      .get(q.tenantId, q.type) as Row;
    return Number(row.n);
  }

  async getWatermark(tenantId: TenantId, resource: Resource): Promise<string | undefined> {
    const row = this.db
      .prepare('SELECT watermark FROM sync_state WHERE tenant_id = ? AND resource = ?')
      .get(tenantId, resource) as Row | undefined;
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

function counterSets(delta: Partial<RunCounters>): string[] {
  return (Object.keys(COUNTER_COLUMNS) as (keyof RunCounters)[])
    .filter((k) => typeof delta[k] === 'number' && delta[k] !== 0)
    .map((k) => `${COUNTER_COLUMNS[k]} = ${COUNTER_COLUMNS[k]} + @${k}`);
}

function tenantFromRow(row: Row): TenantRecord {
  return {
    tenantId: String(row.tenant_id) as TenantId,
    oktaDomain: String(row.okta_domain),
    auth: JSON.parse(String(row.auth)),
    scopes: JSON.parse(String(row.scopes)),
    ...(row.rate_share === null || row.rate_share === undefined ? {} : { rateShare: Number(row.rate_share) }),
    status: String(row.status) as TenantStatus,
    createdAt: String(row.created_at),
    updatedAt: String(row.updated_at),
  };
}

function runFromRow(row: Row): RunRecord {
  const counters = Object.fromEntries(
    (Object.entries(COUNTER_COLUMNS) as [keyof RunCounters, string][]).map(([k, col]) => [k, Number(row[col] ?? 0)]),
  ) as unknown as RunCounters;
  return {
    runId: String(row.run_id) as RunId,
    tenantId: String(row.tenant_id) as TenantId,
    resource: String(row.resource) as Resource,
    mode: String(row.mode) as RunRecord['mode'],
    status: String(row.status) as RunRecord['status'],
    createdAt: String(row.created_at),
    startedAt: row.started_at === null ? null : String(row.started_at),
    finishedAt: row.finished_at === null ? null : String(row.finished_at),
    counters,
    error: row.error === null ? null : JSON.parse(String(row.error)),
    warnings: JSON.parse(String(row.warnings ?? '[]')),
  };
}

function objectFromRow(row: Row): StoredObject {
  return {
    tenantId: String(row.tenant_id) as TenantId,
    type: String(row.type) as ObjectType,
    oktaId: String(row.okta_id),
    data: JSON.parse(String(row.data)),
    oktaLastUpdated: row.okta_last_updated === null ? null : String(row.okta_last_updated),
    syncedAt: String(row.synced_at),
    runId: String(row.run_id) as RunId,
    deletedAt: row.deleted_at === null ? null : String(row.deleted_at),
  };
}
