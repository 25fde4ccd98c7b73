import type { MongoClientOptions } from 'mongodb';

/** Database used when the URL names none (`mongodb://host:27017`). */
export const DEFAULT_MONGO_DATABASE = 'okta_sync';

/**
 * What the adapter needs from the server whatever `STORE_URL` says: reads from the primary (a
 * secondary could miss the run that won a duplicate-key race, or show counters from before an
 * `$inc`), majority writes (an acknowledged write survives a failover) and retried writes (a
 * failover is retried once by the driver, not turned into a failed page job).
 */
export const MONGO_CLIENT_OPTIONS: Readonly<MongoClientOptions> = Object.freeze({
  // An absent optional field stays absent instead of becoming null.
  ignoreUndefined: true,
  readPreference: 'primary',
  writeConcern: { w: 'majority' as const },
  retryWrites: true,
  retryReads: true,
});

/**
 * URL options that would weaken or contradict `MONGO_CLIENT_OPTIONS`; removed from the URL (the
 * driver merges URL options into the object's, and `maxStalenessSeconds` or tags with a primary read
 * preference make it refuse to connect). Compared case-insensitively, as the driver does.
 */
const PINNED_URL_OPTIONS = ['readpreference', 'readpreferencetags', 'maxstalenessseconds', 'w', 'journal', 'wtimeoutms', 'retrywrites', 'retryreads'];

/** `url` without the options the adapter pins; hosts, credentials, database and other options untouched. */
export function pinnedMongoUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const hash = url.indexOf('#', q);
  const query = url.slice(q + 1, hash < 0 ? undefined : hash);
  const kept = query.split('&').filter((pair) => pair !== '' && !PINNED_URL_OPTIONS.includes(pair.split('=')[0]!.toLowerCase()));
  return `${url.slice(0, q)}${kept.length > 0 ? `?${kept.join('&')}` : ''}${hash < 0 ? '' : url.slice(hash)}`;
}

/** The database named by the URL's path (`mongodb://host/db?…`), else `okta_sync`. */
export function mongoDatabaseName(url: string): string {
  const path = /^mongodb(?:\+srv)?:\/\/[^/?#]*\/([^?#]*)/.exec(url)?.[1];
  return path ? decodeURIComponent(path) : DEFAULT_MONGO_DATABASE;
}
