import type Database from 'better-sqlite3';
import { PURGE_BATCH, type RetentionCutoffs, retentionCutoffs } from './retention.js';
import type { PurgeReport, RetentionPolicy } from './sync-store.js';

/**
 * One kind of expired record. `sql` deletes at most `@batch` rows older than `@cutoff` (an ISO
 * string) and is run until it deletes fewer, each batch its own short transaction. This list is
 * the extension point: a new table with a retention setting adds one task here.
 */
export interface SqlitePurgeTask {
  name: string;
  cutoff: keyof RetentionCutoffs;
  sql: string;
}

export const SQLITE_PURGE_TASKS: readonly SqlitePurgeTask[] = [
  {
    name: 'tombstones',
    cutoff: 'tombstones',
    sql: `DELETE FROM objects WHERE (tenant_id, type, okta_id) IN (
      SELECT tenant_id, type, okta_id FROM objects WHERE deleted_at IS NOT NULL AND deleted_at < @cutoff LIMIT @batch)`,
  },
  {
    // Pages of runs that are gone or final since before the cutoff; an active run keeps all of its pages.
    name: 'run_pages',
    cutoff: 'runPages',
    sql: `DELETE FROM run_pages WHERE (run_id, page_key) IN (
      SELECT p.run_id, p.page_key FROM run_pages p WHERE p.committed_at < @cutoff
        AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.run_id = p.run_id AND (r.finished_at IS NULL OR r.finished_at >= @cutoff))
      LIMIT @batch)`,
  },
  {
    // System Log events by `published` (okta_last_updated); an event without one is kept.
    name: 'log_events',
    cutoff: 'logEvents',
    sql: `DELETE FROM objects WHERE (tenant_id, type, okta_id) IN (
      SELECT tenant_id, type, okta_id FROM objects WHERE type = 'log_event' AND okta_last_updated < @cutoff LIMIT @batch)`,
  },
  {
    name: 'runs',
    cutoff: 'runs',
    sql: `DELETE FROM runs WHERE rowid IN (
      SELECT rowid FROM runs WHERE finished_at IS NOT NULL AND finished_at < @cutoff AND status NOT IN ('queued', 'running') LIMIT @batch)`,
  },
];

export function purgeSqlite(
  db: Database.Database,
  policy: RetentionPolicy,
  now: Date,
  tasks: readonly SqlitePurgeTask[] = SQLITE_PURGE_TASKS,
): PurgeReport {
  const cutoffs = retentionCutoffs(policy, now);
  const report: PurgeReport = {};
  for (const task of tasks) {
    const statement = db.prepare(task.sql);
    const params = { cutoff: cutoffs[task.cutoff].toISOString(), batch: PURGE_BATCH };
    let removed = 0;
    for (;;) {
      const { changes } = statement.run(params);
      removed += changes;
      if (changes < PURGE_BATCH) break;
    }
    report[task.name] = removed;
  }
  return report;
}
