import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { MongoStore, mongoDatabaseName } from '../../../src/shared/store/mongodb-store.js';
import type { StoreTestHooks } from '../../../src/shared/store/store-hooks.js';
import { mongoUrlWithDatabase, resolveMongo } from '../../helpers/mongo.js';
import { describeStoreContract } from './store-contract.js';
import { objectWrite, pageCommit, runRecord, T2 } from './store-fixtures.js';
import { asRunId, asTenantId } from '../../../src/shared/ids.js';

// Resolved while the file is collected: whether the contract runs or is skipped must be known then.
const mongo = await resolveMongo();
const skipReason = 'skip' in mongo ? mongo.skip : undefined;
const server = 'skip' in mongo ? undefined : mongo;
const databases: string[] = [];
let admin: MongoClient | undefined;

function adminClient(url: string): MongoClient {
  admin ??= new MongoClient(url);
  return admin;
}

afterEach(async () => {
  if (!server) return;
  for (const name of databases.splice(0)) await adminClient(server.url).db(name).dropDatabase();
});

afterAll(async () => {
  await admin?.close();
  await server?.stop();
});

/** Each test gets its own database, dropped after it. */
async function openFresh(hooks: StoreTestHooks = {}): Promise<MongoStore> {
  if (!server) throw new Error(`no MongoDB: ${skipReason}`);
  const name = `okta_sync_test_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  databases.push(name);
  return MongoStore.connect(mongoUrlWithDatabase(server.url, name), { hooks });
}

describeStoreContract('MongoDB', openFresh, skipReason);

(skipReason === undefined ? describe : describe.skip)('MongoDB adapter specifics', () => {
  it('creates the collections and indexes, and connecting again is harmless', async () => {
    const store = await openFresh();
    const name = databases.at(-1)!;
    await (await MongoStore.connect(mongoUrlWithDatabase(server!.url, name))).close();
    const db = adminClient(server!.url).db(name);
    const runIndexes = await db.collection('runs').indexes();
    expect(runIndexes.find((i) => i.name === 'runs_one_active')).toMatchObject({
      unique: true,
      partialFilterExpression: { active: true },
    });
    expect((await db.collection('objects').indexes()).find((i) => i.name === 'objects_key')).toMatchObject({ unique: true });
    expect((await db.collection('run_pages').indexes()).find((i) => i.name === 'run_pages_key')).toMatchObject({ unique: true });
    expect((await db.collection('sync_state').indexes()).find((i) => i.name === 'sync_state_key')).toMatchObject({ unique: true });
    expect((await db.collection('changes').indexes()).find((i) => i.name === 'changes_key')).toMatchObject({ unique: true, key: { tenantId: 1, seq: 1 } });
    await store.close();
  });
});

(skipReason === undefined ? describe : describe.skip)('MongoDB retention and dates', () => {
  it('creates the TTL indexes from the retention policy and follows a changed policy (collMod)', async () => {
    const store = await openFresh();
    const name = databases.at(-1)!;
    const db = adminClient(server!.url).db(name);
    const ttl = async (collection: string, index: string) => (await db.collection(collection).indexes()).find((i) => i.name === index);
    expect(await ttl('objects', 'objects_tombstones_ttl')).toMatchObject({ key: { deletedAt: 1 }, expireAfterSeconds: 30 * 86_400 });
    expect(await ttl('runs', 'runs_finished_ttl')).toMatchObject({ key: { finishedAt: 1 }, expireAfterSeconds: 90 * 86_400 });
    expect(await ttl('run_pages', 'run_pages_final_ttl')).toMatchObject({ key: { runFinalAt: 1 }, expireAfterSeconds: 86_400 });
    expect(await ttl('run_pages', 'run_pages_committed_ttl')).toMatchObject({ key: { committedAt: 1 }, expireAfterSeconds: 90 * 86_400 });
    expect(await ttl('objects', 'objects_by_run')).toBeUndefined();
    const retention = { tombstoneDays: 3, runHistoryDays: 10, changesDays: 1, logEventDays: 30 };
    await (await MongoStore.connect(mongoUrlWithDatabase(server!.url, name), { retention })).close();
    expect(await ttl('objects', 'objects_tombstones_ttl')).toMatchObject({ expireAfterSeconds: 3 * 86_400 });
    expect(await ttl('runs', 'runs_finished_ttl')).toMatchObject({ expireAfterSeconds: 10 * 86_400 });
    await store.close();
  });

  it('stores the TTL fields as real Dates (a string would never expire)', async () => {
    const store = await openFresh();
    const db = adminClient(server!.url).db(databases.at(-1)!);
    const tenantId = asTenantId('acme');
    const { run } = await store.createRunUnlessActive(runRecord(tenantId, 'users'));
    await store.commitPage(pageCommit(tenantId, run.runId, 'p', [objectWrite('a')]));
    await store.sweep({ tenantId, type: 'user', runId: asRunId('run_other'), at: T2 });
    await store.finishRun(run.runId, { status: 'succeeded', at: T2 });
    expect((await db.collection('objects').findOne({ oktaId: 'a' }))?.deletedAt).toBeInstanceOf(Date);
    expect((await db.collection('runs').findOne({ _id: run.runId as never }))?.finishedAt).toBeInstanceOf(Date);
    const page = await db.collection('run_pages').findOne({ runId: run.runId });
    expect(page?.committedAt).toBeInstanceOf(Date);
    expect(page?.runFinalAt).toBeInstanceOf(Date);
    // ...and the port still speaks ISO strings.
    expect((await store.getRun(run.runId))?.finishedAt).toBe(T2);
    await store.close();
  });

  it('converts ISO-string dates written by an older version once, at connect', async () => {
    const store = await openFresh();
    await store.close();
    const name = databases.at(-1)!;
    const db = adminClient(server!.url).db(name);
    await db.collection('store_meta').deleteMany({});
    await db.collection('objects').insertOne({ tenantId: 'acme', type: 'user', oktaId: 'old', data: {}, oktaLastUpdated: null, syncedAt: T2, runId: 'r', deletedAt: T2 });
    await (await MongoStore.connect(mongoUrlWithDatabase(server!.url, name))).close();
    expect((await db.collection('objects').findOne({ oktaId: 'old' }))?.deletedAt).toEqual(new Date(T2));
  });
});

describe('mongoDatabaseName', () => {
  it.each([
    ['mongodb://localhost:27017', 'okta_sync'],
    ['mongodb://localhost:27017/', 'okta_sync'],
    ['mongodb://localhost:27017/?directConnection=true', 'okta_sync'],
    ['mongodb://u:p%2F@h1:1,h2:2/prod_sync?replicaSet=rs0&authSource=admin', 'prod_sync'],
    ['mongodb+srv://cluster0.example.net/tenant%2Dsync?retryWrites=true', 'tenant-sync'],
  ])('%s → %s', (url, name) => {
    expect(mongoDatabaseName(url)).toBe(name);
  });

  it('mongoUrlWithDatabase swaps only the path', () => {
    expect(mongoUrlWithDatabase('mongodb://h:1', 'x')).toBe('mongodb://h:1/x');
    expect(mongoUrlWithDatabase('mongodb://h:1/old?directConnection=true', 'x')).toBe('mongodb://h:1/x?directConnection=true');
    expect(mongoUrlWithDatabase('mongodb://h:1?directConnection=true', 'x')).toBe('mongodb://h:1/x?directConnection=true');
  });
});
