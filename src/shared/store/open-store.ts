import { resolve } from 'node:path';
import { SqliteStore } from './sqlite-store.js';
import type { RetentionPolicy, SyncStore } from './sync-store.js';

/**
 * Opens the store named by `STORE_URL`: `sqlite:<path>` or `mongodb://…/<db>`. `retention` sets
 * MongoDB's TTL expiries (pass `config.retention` from every process so they agree).
 */
export async function openStore(storeUrl: string, options: { retention?: RetentionPolicy } = {}): Promise<SyncStore> {
  if (storeUrl.startsWith('sqlite:')) {
    const path = storeUrl.slice('sqlite:'.length);
    return new SqliteStore(path === ':memory:' ? path : resolve(path));
  }
  // Loaded lazily so processes on SQLite never load the MongoDB driver.
  const { MongoStore } = await import('./mongodb-store.js');
  return MongoStore.connect(storeUrl, options);
}
