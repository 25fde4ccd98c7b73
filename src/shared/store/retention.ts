import type { RetentionPolicy } from './sync-store.js';
import { RUN_PAGES_KEEP_DAYS } from './sync-store.js';

const DAY_MS = 86_400_000;

/** The instants before which each kind of record is purged, as of `now`. */
export interface RetentionCutoffs {
  tombstones: Date;
  runs: Date;
  runPages: Date;
  changes: Date;
  logEvents: Date;
}

export function retentionCutoffs(policy: RetentionPolicy, now: Date): RetentionCutoffs {
  const before = (days: number) => new Date(now.getTime() - days * DAY_MS);
  return {
    tombstones: before(policy.tombstoneDays),
    runs: before(policy.runHistoryDays),
    runPages: before(RUN_PAGES_KEEP_DAYS),
    changes: before(policy.changesDays),
    logEvents: before(policy.logEventDays),
  };
}

/** Seconds for a MongoDB TTL index that keeps documents `days` days. */
export function ttlSeconds(days: number): number {
  return Math.round(days * 86_400);
}

/** Rows deleted per statement by a purge, so no purge holds the store's write lock for long. */
export const PURGE_BATCH = 5_000;
