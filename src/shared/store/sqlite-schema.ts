/** The SQLite tables: the logical collections of DESIGN.md "Store", same names as in MongoDB. */
export const SQLITE_SCHEMA = `
CREATE TABLE IF NOT EXISTS tenants (
  tenant_id TEXT PRIMARY KEY,
  okta_domain TEXT NOT NULL,
  auth TEXT NOT NULL,
  scopes TEXT NOT NULL,
  rate_share REAL,
  status TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS objects (
  tenant_id TEXT NOT NULL,
  type TEXT NOT NULL,
  okta_id TEXT NOT NULL,
  data TEXT NOT NULL,
  okta_last_updated TEXT,
  synced_at TEXT NOT NULL,
  run_id TEXT NOT NULL,
  deleted_at TEXT,
  PRIMARY KEY (tenant_id, type, okta_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS objects_by_run ON objects (tenant_id, type, run_id);
CREATE TABLE IF NOT EXISTS runs (
  run_id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  resource TEXT NOT NULL,
  mode TEXT NOT NULL,
  status TEXT NOT NULL,
  created_at TEXT NOT NULL,
  started_at TEXT,
  finished_at TEXT,
  error TEXT,
  warnings TEXT NOT NULL DEFAULT '[]',
  pages INTEGER NOT NULL DEFAULT 0,
  objects INTEGER NOT NULL DEFAULT 0,
  deleted INTEGER NOT NULL DEFAULT 0,
  requests INTEGER NOT NULL DEFAULT 0,
  rate_limited INTEGER NOT NULL DEFAULT 0,
  retries INTEGER NOT NULL DEFAULT 0,
  token_fetches INTEGER NOT NULL DEFAULT 0,
  rate_limit_wait_ms INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS runs_by_tenant ON runs (tenant_id, created_at);
CREATE UNIQUE INDEX IF NOT EXISTS runs_one_active ON runs (tenant_id, resource) WHERE status IN ('queued', 'running');
CREATE TABLE IF NOT EXISTS run_pages (
  run_id TEXT NOT NULL,
  page_key TEXT NOT NULL,
  tenant_id TEXT NOT NULL,
  objects INTEGER NOT NULL,
  committed_at TEXT NOT NULL,
  PRIMARY KEY (run_id, page_key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sync_state (
  tenant_id TEXT NOT NULL,
  resource TEXT NOT NULL,
  watermark TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, resource)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS webhooks (
  tenant_id TEXT PRIMARY KEY,
  url TEXT NOT NULL,
  secret TEXT NOT NULL,
  events TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS connect_links (
  token_hash TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  return_url TEXT,
  form_key TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  used_at TEXT
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS connect_links_by_tenant ON connect_links (tenant_id);
CREATE INDEX IF NOT EXISTS connect_links_by_expiry ON connect_links (expires_at);
`;
