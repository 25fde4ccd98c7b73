import { resolve } from 'node:path';
import type { ChangeFeedOptions } from './change-feed.js';
import { SqliteStore } from './sqlite-store.js';
import type { SyncStore } from './sync-store.js';

/** What every adapter takes besides its URL. */
export interface StoreOptions {
  /** The change feed: on by default; `onAppended` feeds the metrics of the process that writes. */
  feed?: ChangeFeedOptions;
}

/** Opens the store named by `STORE_URL`: `sqlite:<path>` or `mongodb://…/<db>`. */
export async function openStore(storeUrl: string, options: StoreOptions = {}): Promise<SyncStore> {
  if (storeUrl.startsWith('sqlite:')) {
    const path = storeUrl.slice('sqlite:'.length);
    return new SqliteStore(path === ':memory:' ? path : resolve(path), options);
  }
  // Loaded lazily so processes on SQLite never load the MongoDB driver.
  const { MongoStore } = await import('./mongodb-store.js');
  return MongoStore.connect(storeUrl, options);
}
