import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import type { ChangeFeedOptions } from './change-feed.js';
import { SqliteStore } from './sqlite-store.js';
import type { RetentionPolicy, SyncStore } from './sync-store.js';

/** What every adapter takes besides its URL. */
export interface StoreOptions {
  /** The change feed: on by default; `onAppended` feeds the metrics of the process that writes. */
  feed?: ChangeFeedOptions;
  /** MongoDB's TTL expiries (pass `config.retention` from every process so they agree). */
  retention?: RetentionPolicy;
}

const DEFAULT_SQLITE_URL = 'sqlite:./data/okta-sync.db';

/** Opens the store named by `STORE_URL`: `sqlite:<path>` or `mongodb://…/<db>`. */
export async function openStore(storeUrl: string, options: StoreOptions = {}): Promise<SyncStore> {
  if (storeUrl.startsWith('sqlite:')) {
    const path = storeUrl.slice('sqlite:'.length);
    // Only the default ./data is created; another missing directory is a typo, not a wish.
    if (path !== ':memory:' && storeUrl !== DEFAULT_SQLITE_URL && !existsSync(dirname(resolve(path)))) {
      throw new ConfigError('STORE_URL', `directory ${dirname(resolve(path))} does not exist`);
    }
    return new SqliteStore(path === ':memory:' ? path : resolve(path), options);
  }
  // Loaded lazily so processes on SQLite never load the MongoDB driver.
  const { MongoStore } = await import('./mongodb-store.js');
  return MongoStore.connect(storeUrl, options);
}
