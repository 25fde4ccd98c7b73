const DAY_MS = 86_400_000;

/**
 * Okta keeps System Log events 90 days; a `since` at the edge races the retention cut-off while
 * the query runs, so the oldest `since` we send is 89 days back (OKTA-FACTS "System Log").
 */
export const LOG_RETENTION_SAFE_DAYS = 89;

/** `since` of a first System Log query `days` back, clamped to the retention (with a warning when it had to be). */
export function logsSince(now: number, days: number, warn?: (message: string) => void): string {
  if (days > LOG_RETENTION_SAFE_DAYS) {
    warn?.(`System Log since clamped to ${LOG_RETENTION_SAFE_DAYS} days back (asked for ${days}; Okta keeps 90 days)`);
  }
  return new Date(now - Math.min(days, LOG_RETENTION_SAFE_DAYS) * DAY_MS).toISOString();
}
