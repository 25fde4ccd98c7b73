import type Database from 'better-sqlite3';
import type { TenantId } from '../ids.js';
import type { WebhookEvent, WebhookRecord } from './sync-store.js';

/** The `webhooks` table of the SQLite adapter (one row per tenant), kept out of the adapter's main file. */
export function putWebhookRow(db: Database.Database, w: WebhookRecord): { created: boolean } {
  const tx = db.transaction(() => {
    const existing = db.prepare('SELECT 1 FROM webhooks WHERE tenant_id = ?').get(w.tenantId);
    db.prepare(
      `INSERT INTO webhooks (tenant_id, url, secret, events, created_at, updated_at)
       VALUES (@tenantId, @url, @secret, @events, @createdAt, @updatedAt)
       ON CONFLICT (tenant_id) DO UPDATE SET url = excluded.url, secret = excluded.secret,
         events = excluded.events, updated_at = excluded.updated_at`,
    ).run({ ...w, events: JSON.stringify(w.events) });
    return { created: existing === undefined };
  });
  return tx.immediate();
}

export function getWebhookRow(db: Database.Database, tenantId: TenantId): WebhookRecord | undefined {
  const row = db.prepare('SELECT * FROM webhooks WHERE tenant_id = ?').get(tenantId) as Record<string, unknown> | undefined;
  if (!row) return undefined;
  return {
    tenantId: String(row.tenant_id) as TenantId,
    url: String(row.url),
    secret: String(row.secret),
    events: JSON.parse(String(row.events)) as WebhookEvent[],
    createdAt: String(row.created_at),
    updatedAt: String(row.updated_at),
  };
}

export function deleteWebhookRow(db: Database.Database, tenantId: TenantId): boolean {
  return db.prepare('DELETE FROM webhooks WHERE tenant_id = ?').run(tenantId).changes > 0;
}
