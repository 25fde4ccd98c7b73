/**
 * The SQLite adapter's statements on hot paths, by name, so that sqlite-explain.test.ts can run
 * `EXPLAIN QUERY PLAN` on exactly what the adapter runs. Named parameters throughout.
 * `INDEXED BY objects_live`: without ANALYZE statistics the planner prefers the primary key, whose
 * range holds the tombstones and every object's JSON; the partial index holds neither.
 */
export const SQLITE_QUERIES = {
  activeRun: `SELECT * FROM runs WHERE tenant_id = @tenantId AND resource = @resource AND status IN ('queued', 'running')`,
  runById: 'SELECT * FROM runs WHERE run_id = @runId',
  runsOfTenant: 'SELECT * FROM runs WHERE tenant_id = @tenantId ORDER BY created_at DESC, run_id DESC LIMIT @limit',
  runsOfAll: 'SELECT * FROM runs ORDER BY created_at DESC, run_id DESC LIMIT @limit',
  /** Live objects of a type not written by the run; the prefix form bounds the range for the index. */
  sweepAll: `UPDATE objects INDEXED BY objects_live SET deleted_at = @at, deleted_by = @countFor
    WHERE tenant_id = @tenantId AND type = @type AND deleted_at IS NULL AND run_id != @runId`,
  sweepPrefix: `UPDATE objects INDEXED BY objects_live SET deleted_at = @at, deleted_by = @countFor
    WHERE tenant_id = @tenantId AND type = @type AND deleted_at IS NULL AND run_id != @runId
      AND okta_id >= @prefix AND okta_id < @prefix || char(1114111) AND substr(okta_id, 1, length(@prefix)) = @prefix`,
  sweepOne: `UPDATE objects INDEXED BY objects_live SET deleted_at = @at, deleted_by = @countFor
    WHERE tenant_id = @tenantId AND type = @type AND deleted_at IS NULL AND run_id != @runId AND okta_id = @oktaId`,
  sweepSuffix: `UPDATE objects INDEXED BY objects_live SET deleted_at = @at, deleted_by = @countFor
    WHERE tenant_id = @tenantId AND type = @type AND deleted_at IS NULL AND run_id != @runId
      AND length(okta_id) >= length(@suffix) AND substr(okta_id, -length(@suffix)) = @suffix`,
  countDeleted: 'UPDATE runs SET deleted = deleted + @deleted WHERE run_id = @runId',
  listLive: `SELECT * FROM objects INDEXED BY objects_live WHERE tenant_id = @tenantId AND type = @type AND okta_id > @after AND deleted_at IS NULL
    ORDER BY okta_id LIMIT @limit`,
  listAll: 'SELECT * FROM objects WHERE tenant_id = @tenantId AND type = @type AND okta_id > @after ORDER BY okta_id LIMIT @limit',
  countLive: 'SELECT COUNT(*) AS n FROM objects INDEXED BY objects_live WHERE tenant_id = @tenantId AND type = @type AND deleted_at IS NULL',
  countAll: 'SELECT COUNT(*) AS n FROM objects WHERE tenant_id = @tenantId AND type = @type',
  /** Final status plus pages/objects/deleted recounted from the page records and tombstones. */
  finishRun: `UPDATE runs SET status = @status, finished_at = @at, error = @error, started_at = COALESCE(started_at, @at),
      pages = (SELECT COUNT(*) FROM run_pages WHERE run_id = @runId),
      objects = (SELECT COALESCE(SUM(objects), 0) FROM run_pages WHERE run_id = @runId),
      deleted = (SELECT COUNT(*) FROM objects WHERE deleted_by = @runId AND deleted_at IS NOT NULL)
    WHERE run_id = @runId AND status IN ('queued', 'running')`,
  watermark: 'SELECT watermark FROM sync_state WHERE tenant_id = @tenantId AND resource = @resource',
  deleteTenantObjects: 'DELETE FROM objects WHERE tenant_id = @tenantId',
  deleteTenantRuns: 'DELETE FROM runs WHERE tenant_id = @tenantId',
  deleteTenantPages: 'DELETE FROM run_pages WHERE tenant_id = @tenantId',
  deleteTenantState: 'DELETE FROM sync_state WHERE tenant_id = @tenantId',
} as const;

export type SqliteQueryName = keyof typeof SQLITE_QUERIES;
