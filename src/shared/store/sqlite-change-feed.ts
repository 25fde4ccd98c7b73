import type Database from 'better-sqlite3';
import type { RunId, TenantId } from '../ids.js';
import {
  type ChangeEntry,
  type ChangeFeedOptions,
  type ChangesPage,
  type ChangesQuery,
  checkAfter,
  contentHash,
  encodeFeedCursor,
  type FeedRange,
} from './change-feed.js';
import type { ObjectType, ObjectWrite, PageCommit } from './sync-store.js';

/**
 * The feed's tables. `change_feeds` holds each tenant's head and how far retention has purged
 * (kept when a tenant's data is purged, so seqs are never reused); `change_runs` the range each
 * run wrote. `objects.data_hash` is added to files created before the feed existed. No index on
 * `changed_at`: it would cost every write, while the daily purge can afford a scan per tenant.
 */
export const SQLITE_FEED_SCHEMA = `
CREATE TABLE IF NOT EXISTS changes (
  tenant_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  op TEXT NOT NULL,
  type TEXT NOT NULL,
  okta_id TEXT NOT NULL,
  data TEXT,
  changed_at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS change_feeds (
  tenant_id TEXT PRIMARY KEY,
  head INTEGER NOT NULL,
  purged_through INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS change_runs (
  run_id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  first_seq INTEGER NOT NULL,
  last_seq INTEGER NOT NULL,
  upserts INTEGER NOT NULL DEFAULT 0,
  deletes INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
`;

/** One object of a page as the adapter writes it: its JSON text and content hash. */
export interface PreparedWrite {
  object: ObjectWrite;
  json: string;
  hash: string | null;
}

type Row = Record<string, unknown>;

/**
 * The SQLite side of the change feed. Every method that writes runs inside the adapter's
 * IMMEDIATE transaction, so entries commit with the objects and seqs follow commit order.
 */
export class SqliteChangeFeed {
  private readonly enabled: boolean;
  private readonly current;
  private readonly allocate;
  private readonly insert;
  private readonly track;

  constructor(
    private readonly db: Database.Database,
    private readonly options: ChangeFeedOptions = {},
  ) {
    this.enabled = options.enabled !== false;
    db.exec(SQLITE_FEED_SCHEMA);
    const columns = db.prepare("SELECT name FROM pragma_table_info('objects')").all() as Row[];
    if (!columns.some((c) => c.name === 'data_hash')) db.exec('ALTER TABLE objects ADD COLUMN data_hash TEXT');
    this.current = db.prepare('SELECT data_hash, deleted_at FROM objects WHERE tenant_id = ? AND type = ? AND okta_id = ?');
    this.allocate = db.prepare(
      `INSERT INTO change_feeds (tenant_id, head) VALUES (?, ?)
       ON CONFLICT (tenant_id) DO UPDATE SET head = head + excluded.head RETURNING head`,
    );
    this.insert = db.prepare('INSERT INTO changes (tenant_id, seq, op, type, okta_id, data, changed_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
    this.track = db.prepare(
      `INSERT INTO change_runs (run_id, tenant_id, first_seq, last_seq, upserts, deletes) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (run_id) DO UPDATE SET last_seq = excluded.last_seq,
         upserts = upserts + excluded.upserts, deletes = deletes + excluded.deletes`,
    );
  }

  /**
   * Inside the page's transaction, before the upsert: each object's JSON and hash, and which
   * of them are changes (new, data changed, or coming back from deleted).
   */
  preparePage(page: PageCommit): { writes: PreparedWrite[]; changed: PreparedWrite[] } {
    const writes = page.objects.map((object) => {
      const json = JSON.stringify(object.data);
      return { object, json, hash: this.enabled ? contentHash(json) : null };
    });
    if (!this.enabled) return { writes, changed: [] };
    const changed = writes.filter((w) => {
      const row = this.current.get(page.tenantId, page.type, w.object.oktaId) as Row | undefined;
      return !row || row.data_hash !== w.hash || row.deleted_at !== null;
    });
    return { writes, changed };
  }

  /** Appends upserts for `changed` (inside the page's transaction); returns how many. */
  appendUpserts(page: PageCommit, changed: readonly PreparedWrite[]): number {
    const entries = changed.map((w) => ({ op: 'upsert' as const, oktaId: w.object.oktaId, data: w.json }));
    return this.append(page.tenantId, page.runId, page.type, entries, page.at);
  }

  /** Appends deletes for objects just marked deleted (inside the sweep's transaction). */
  appendDeletes(tenantId: TenantId, runId: RunId, type: ObjectType, oktaIds: readonly string[], at: string): number {
    return this.append(tenantId, runId, type, oktaIds.map((oktaId) => ({ op: 'delete' as const, oktaId, data: null })), at);
  }

  private append(
    tenantId: TenantId,
    runId: RunId,
    type: ObjectType,
    entries: readonly { op: 'upsert' | 'delete'; oktaId: string; data: string | null }[],
    at: string,
  ): number {
    if (!this.enabled || entries.length === 0) return 0;
    const head = Number((this.allocate.get(tenantId, entries.length) as Row).head);
    const first = head - entries.length + 1;
    entries.forEach((e, i) => {
      this.insert.run(tenantId, first + i, e.op, type, e.oktaId, e.data, at);
    });
    const upserts = entries[0]?.op === 'upsert' ? entries.length : 0;
    this.track.run(runId, tenantId, first, head, upserts, entries.length - upserts);
    return entries.length;
  }

  /** Reporting happens after the transaction committed. */
  reported(tenantId: TenantId, op: 'upsert' | 'delete', count: number): void {
    if (count > 0) this.options.onAppended?.(tenantId, op, count);
  }

  read(q: ChangesQuery): ChangesPage {
    const tx = this.db.transaction((): ChangesPage => {
      const feed = this.feedOf(q.tenantId);
      const after = checkAfter(q.after, feed);
      const types = q.types ?? [];
      const rows = this.db
        .prepare(
          `SELECT seq, op, type, okta_id, data, changed_at FROM changes WHERE tenant_id = ? AND seq > ?
           ${types.length > 0 ? `AND type IN (${types.map(() => '?').join(', ')})` : ''} ORDER BY seq LIMIT ?`,
        )
        .all(q.tenantId, after, ...types, q.limit) as Row[];
      const items = rows.map(entryFromRow);
      // Fewer than asked: everything up to the head was scanned (one snapshot), resume from there.
      const last = rows.length === q.limit ? Number(rows.at(-1)?.seq) : feed.head;
      return { items, next: encodeFeedCursor(Math.max(after, last)) };
    });
    return tx.deferred();
  }

  feedOf(tenantId: TenantId): { head: number; purgedThrough: number } {
    const row = this.db.prepare('SELECT head, purged_through FROM change_feeds WHERE tenant_id = ?').get(tenantId) as Row | undefined;
    return { head: Number(row?.head ?? 0), purgedThrough: Number(row?.purged_through ?? 0) };
  }

  rangeOfRun(runId: RunId): FeedRange | null {
    const row = this.db.prepare('SELECT * FROM change_runs WHERE run_id = ?').get(runId) as Row | undefined;
    if (!row) return null;
    const first = Number(row.first_seq);
    return {
      tenantId: String(row.tenant_id) as TenantId,
      runId,
      afterCursor: encodeFeedCursor(first - 1),
      firstCursor: encodeFeedCursor(first),
      lastCursor: encodeFeedCursor(Number(row.last_seq)),
      upserts: Number(row.upserts),
      deletes: Number(row.deletes),
    };
  }

  /** Removes entries older than `before` (retention); each tenant remembers how far it purged. */
  purgeBefore(before: string): number {
    const tx = this.db.transaction(() => {
      const tenants = this.db.prepare('SELECT tenant_id FROM change_feeds').all() as Row[];
      const uptoOf = this.db.prepare('SELECT MAX(seq) AS upto FROM changes WHERE tenant_id = ? AND changed_at < ?');
      let removed = 0;
      for (const { tenant_id: tenantId } of tenants) {
        const upto = (uptoOf.get(tenantId, before) as Row).upto;
        if (upto === null || upto === undefined) continue;
        removed += this.db.prepare('DELETE FROM changes WHERE tenant_id = ? AND seq <= ?').run(tenantId, upto).changes;
        this.db.prepare('UPDATE change_feeds SET purged_through = MAX(purged_through, ?) WHERE tenant_id = ?').run(upto, tenantId);
      }
      this.db.prepare('DELETE FROM change_runs WHERE last_seq <= (SELECT purged_through FROM change_feeds f WHERE f.tenant_id = change_runs.tenant_id)').run();
      return removed;
    });
    return tx.immediate();
  }

  /** A tenant's data purge: its entries go, its head stays (old cursors then answer cursor_expired). */
  purgeTenant(tenantId: TenantId): void {
    this.db.prepare('DELETE FROM changes WHERE tenant_id = ?').run(tenantId);
    this.db.prepare('DELETE FROM change_runs WHERE tenant_id = ?').run(tenantId);
    this.db.prepare('UPDATE change_feeds SET purged_through = head WHERE tenant_id = ?').run(tenantId);
  }
}

function entryFromRow(row: Row): ChangeEntry {
  const op = String(row.op) as ChangeEntry['op'];
  return {
    cursor: encodeFeedCursor(Number(row.seq)),
    op,
    type: String(row.type) as ObjectType,
    oktaId: String(row.okta_id),
    ...(op === 'upsert' && row.data !== null ? { data: JSON.parse(String(row.data)) } : {}),
    changedAt: String(row.changed_at),
  };
}
