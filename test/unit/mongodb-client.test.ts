import { MongoClient } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { MONGO_CLIENT_OPTIONS, pinnedMongoUrl } from '../../src/shared/store/mongodb-client.js';

/** Runs without a server: the driver parses URL and options when the client is constructed. */
describe('MongoDB client options are pinned whatever STORE_URL says', () => {
  it.each([
    'mongodb://h:1/db',
    'mongodb://h:1/db?readPreference=secondary&w=1&retryWrites=false&journal=false',
    'mongodb://h:1/db?readPreference=secondaryPreferred&maxStalenessSeconds=120&readPreferenceTags=dc:ny&readPreferenceTags=',
    'mongodb+srv://u:p@cluster0.example.net/db?W=0&RetryWrites=false&ReadPreference=nearest&appName=x',
  ])('%s → primary, w majority, retryWrites', (url) => {
    const client = new MongoClient(pinnedMongoUrl(url), { ...MONGO_CLIENT_OPTIONS });
    expect(client.options.readPreference.mode).toBe('primary');
    expect(client.options.writeConcern?.w).toBe('majority');
    expect(client.options.retryWrites).toBe(true);
    expect(client.options.retryReads).toBe(true);
  });

  it('keeps hosts, credentials, database and the other options', () => {
    expect(pinnedMongoUrl('mongodb://u:p%2F@h1:1,h2:2/prod?replicaSet=rs0&w=1&authSource=admin')).toBe(
      'mongodb://u:p%2F@h1:1,h2:2/prod?replicaSet=rs0&authSource=admin',
    );
    expect(pinnedMongoUrl('mongodb://h:1/db?readPreference=secondary')).toBe('mongodb://h:1/db');
    expect(pinnedMongoUrl('mongodb://h:1')).toBe('mongodb://h:1');
  });

  it('without pinning, the same URL would read from a secondary (the check can fail)', () => {
    const client = new MongoClient('mongodb://h:1/db?readPreference=secondary&w=1', { ignoreUndefined: true });
    expect(client.options.readPreference.mode).toBe('secondary');
  });
});
