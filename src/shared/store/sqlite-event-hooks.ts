import type Database from 'better-sqlite3';
import type { TenantId } from '../ids.js';
import type { EventHookRecord, EventHookStatus } from './sync-store.js';

/** The `event_hooks` table of the SQLite adapter (one row per tenant), kept out of the adapter's main file. */
export function putEventHookRow(db: Database.Database, h: EventHookRecord): { created: boolean } {
  const tx = db.transaction(() => {
    const existing = db.prepare('SELECT 1 FROM event_hooks WHERE tenant_id = ?').get(h.tenantId);
    db.prepare(
      `INSERT INTO event_hooks (tenant_id, okta_hook_id, uri, secret, events, status, created_at, updated_at)
       VALUES (@tenantId, @oktaHookId, @uri, @secret, @events, @status, @createdAt, @updatedAt)
       ON CONFLICT (tenant_id) DO UPDATE SET okta_hook_id = excluded.okta_hook_id, uri = excluded.uri,
         secret = excluded.secret, events = excluded.events, status = excluded.status, updated_at = excluded.updated_at`,
    ).run({ ...h, events: JSON.stringify(h.events) });
    return { created: existing === undefined };
  });
  return tx.immediate();
}

export function getEventHookRow(db: Database.Database, tenantId: TenantId): EventHookRecord | undefined {
  const row = db.prepare('SELECT * FROM event_hooks WHERE tenant_id = ?').get(tenantId) as Record<string, unknown> | undefined;
  if (!row) return undefined;
  return {
    tenantId: String(row.tenant_id) as TenantId,
    oktaHookId: row.okta_hook_id === null ? null : String(row.okta_hook_id),
    uri: String(row.uri),
    secret: String(row.secret),
    events: JSON.parse(String(row.events)) as string[],
    status: String(row.status) as EventHookStatus,
    createdAt: String(row.created_at),
    updatedAt: String(row.updated_at),
  };
}

export function deleteEventHookRow(db: Database.Database, tenantId: TenantId): boolean {
  return db.prepare('DELETE FROM event_hooks WHERE tenant_id = ?').run(tenantId).changes > 0;
}
