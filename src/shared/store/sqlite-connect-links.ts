import type Database from 'better-sqlite3';
import type { TenantId } from '../ids.js';
import type { ConnectLinkRecord } from './sync-store.js';

/** How long a used or expired link is kept (so its page can still say "used" or "expired"). */
export const CONNECT_LINK_RETENTION_MS = 30 * 24 * 3600 * 1000;

type Row = Record<string, unknown>;

/** The `connect_links` table of the SQLite adapter (kept apart from the sync tables' code). */
export class SqliteConnectLinks {
  constructor(private readonly db: Database.Database) {}

  create(link: ConnectLinkRecord): void {
    const tx = this.db.transaction(() => {
      // Opportunistic retention: links long past their expiry go when new ones are made.
      const cutoff = new Date(Date.parse(link.createdAt) - CONNECT_LINK_RETENTION_MS).toISOString();
      this.db.prepare('DELETE FROM connect_links WHERE expires_at < ?').run(cutoff);
      this.db
        .prepare(
          `INSERT INTO connect_links (token_hash, tenant_id, created_at, expires_at, return_url, form_key, attempts, used_at)
           VALUES (@tokenHash, @tenantId, @createdAt, @expiresAt, @returnUrl, @formKey, @attempts, @usedAt)`,
        )
        .run({ ...link });
    });
    tx.immediate();
  }

  get(tokenHash: string): ConnectLinkRecord | undefined {
    const row = this.db.prepare('SELECT * FROM connect_links WHERE token_hash = ?').get(tokenHash) as Row | undefined;
    return row ? linkFromRow(row) : undefined;
  }

  countAttempt(tokenHash: string, max: number): number | undefined {
    const row = this.db
      .prepare(
        `UPDATE connect_links SET attempts = attempts + 1
         WHERE token_hash = ? AND used_at IS NULL AND attempts < ? RETURNING attempts`,
      )
      .get(tokenHash, max) as Row | undefined;
    return row ? Number(row.attempts) : undefined;
  }

  use(tokenHash: string, at: string): boolean {
    return this.db.prepare('UPDATE connect_links SET used_at = ? WHERE token_hash = ? AND used_at IS NULL').run(at, tokenHash).changes === 1;
  }

  deleteForTenant(tenantId: TenantId): void {
    this.db.prepare('DELETE FROM connect_links WHERE tenant_id = ?').run(tenantId);
  }
}

function linkFromRow(row: Row): ConnectLinkRecord {
  return {
    tokenHash: String(row.token_hash),
    tenantId: String(row.tenant_id) as TenantId,
    createdAt: String(row.created_at),
    expiresAt: String(row.expires_at),
    returnUrl: row.return_url === null ? null : String(row.return_url),
    formKey: String(row.form_key),
    attempts: Number(row.attempts),
    usedAt: row.used_at === null ? null : String(row.used_at),
  };
}
