import { type ClientSession, type Collection, type Db, type Filter, MongoClient, type UpdateFilter } from 'mongodb';
import type { RunId, TenantId } from '../ids.js';
import type { Resource } from '../resources.js';
import type { ChangeFeedOptions, ChangesPage, ChangesQuery, FeedRange } from './change-feed.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { ensureFeedIndexes, type HashedWrite, MongoChangeFeed, supportsTransactions } from './mongodb-change-feed.js';
import { type ConnectLinkDoc, MongoConnectLinks } from './mongodb-connect-links.js';
import {
  COLLECTIONS,
  ensureIndexes,
  isDuplicateKeyError,
  type ObjectDoc,
  type RunDoc,
  type RunPageDoc,
  type SyncStateDoc,
  type TenantDoc,
  type WebhookDoc,
} from './mongodb-indexes.js';
import {
  ACTIVE_RUN_STATUSES,
  EMPTY_COUNTERS,
  type ConnectLinkRecord,
  type ListObjectsQuery,
  type ObjectType,
  type PageCommit,
  type RunCounters,
  type RunRecord,
  type StoredObject,
  type SweepQuery,
  type SyncStore,
  type TenantRecord,
  type TenantStatus,
  type WebhookRecord,
} from './sync-store.js';

/** Database used when the URL names none (`mongodb://host:27017`). */
export const DEFAULT_MONGO_DATABASE = 'okta_sync';

/**
 * The production store. Same semantics as the SQLite adapter, built on single-document atomicity
 * and unique indexes rather than transactions, so it works on a standalone server too.
 */
export class MongoStore implements SyncStore {
  private readonly tenants: Collection<TenantDoc>;
  private readonly objects: Collection<ObjectDoc>;
  private readonly runs: Collection<RunDoc>;
  private readonly runPages: Collection<RunPageDoc>;
  private readonly syncState: Collection<SyncStateDoc>;
  private readonly webhooks: Collection<WebhookDoc>;
  private readonly feed: MongoChangeFeed;
  private readonly links: MongoConnectLinks;

  private constructor(
    private readonly client: MongoClient,
    db: Db,
    transactions: boolean,
    feedOptions: ChangeFeedOptions,
  ) {
    this.tenants = db.collection<TenantDoc>(COLLECTIONS.tenants);
    this.objects = db.collection<ObjectDoc>(COLLECTIONS.objects);
    this.runs = db.collection<RunDoc>(COLLECTIONS.runs);
    this.runPages = db.collection<RunPageDoc>(COLLECTIONS.runPages);
    this.syncState = db.collection<SyncStateDoc>(COLLECTIONS.syncState);
    this.webhooks = db.collection<WebhookDoc>(COLLECTIONS.webhooks);
    this.feed = new MongoChangeFeed(client, db, this.objects, transactions, feedOptions);
    this.links = new MongoConnectLinks(db.collection<ConnectLinkDoc>(COLLECTIONS.connectLinks));
  }

  /** Connects and creates the indexes; the database is the URL's path, `okta_sync` by default. */
  static async connect(url: string, options: { feed?: ChangeFeedOptions } = {}): Promise<MongoStore> {
    // ignoreUndefined: an absent optional field stays absent instead of becoming null.
    const client = new MongoClient(url, { ignoreUndefined: true });
    await client.connect();
    try {
      const db = client.db(mongoDatabaseName(url));
      await Promise.all([ensureIndexes(db), ensureFeedIndexes(db)]);
      return new MongoStore(client, db, await supportsTransactions(db), options.feed ?? {});
    } catch (error) {
      await client.close();
      throw error;
    }
  }

  async putTenant(t: TenantRecord): Promise<{ created: boolean }> {
    const { createdAt, rateShare, ...fields } = t;
    const update: UpdateFilter<TenantDoc> = {
      $set: rateShare === undefined ? fields : { ...fields, rateShare },
      $setOnInsert: { createdAt },
    };
    if (rateShare === undefined) update.$unset = { rateShare: '' };
    const result = await this.tenants.updateOne({ _id: t.tenantId }, update, { upsert: true });
    return { created: result.upsertedCount > 0 };
  }

  async getTenant(tenantId: TenantId): Promise<TenantRecord | undefined> {
    const doc = await this.tenants.findOne({ _id: tenantId });
    return doc ? tenantFromDoc(doc) : undefined;
  }

  async listTenants(): Promise<TenantRecord[]> {
    return (await this.tenants.find().sort({ _id: 1 }).toArray()).map(tenantFromDoc);
  }

  async setTenantStatus(tenantId: TenantId, status: TenantStatus, at: string): Promise<void> {
    await this.tenants.updateOne({ _id: tenantId }, { $set: { status, updatedAt: at } });
  }

  async deleteTenant(tenantId: TenantId, options: { purgeData: boolean }): Promise<boolean> {
    const removed = (await this.tenants.deleteOne({ _id: tenantId })).deletedCount > 0;
    await this.webhooks.deleteOne({ _id: tenantId });
    // Outstanding onboarding links die with the tenant (they would re-create it).
    await this.links.deleteForTenant(tenantId);
    if (options.purgeData) {
      await Promise.all([
        this.objects.deleteMany({ tenantId }),
        this.runs.deleteMany({ tenantId }),
        this.runPages.deleteMany({ tenantId }),
        this.syncState.deleteMany({ tenantId }),
        this.feed.purgeTenant(tenantId),
      ]);
    }
    return removed;
  }

  async putWebhook(w: WebhookRecord): Promise<{ created: boolean }> {
    const { createdAt, ...fields } = w;
    const result = await this.webhooks.updateOne({ _id: w.tenantId }, { $set: fields, $setOnInsert: { createdAt } }, { upsert: true });
    return { created: result.upsertedCount > 0 };
  }

  async getWebhook(tenantId: TenantId): Promise<WebhookRecord | undefined> {
    const doc = await this.webhooks.findOne({ _id: tenantId });
    if (!doc) return undefined;
    const { _id, ...record } = doc;
    return record;
  }

  async deleteWebhook(tenantId: TenantId): Promise<boolean> {
    return (await this.webhooks.deleteOne({ _id: tenantId })).deletedCount > 0;
  }

  async createRunUnlessActive(run: RunRecord): Promise<{ run: RunRecord; created: boolean }> {
    const created: RunRecord = { ...run, counters: { ...EMPTY_COUNTERS } };
    const doc: RunDoc = { ...created, _id: run.runId, active: ACTIVE_RUN_STATUSES.includes(run.status) };
    // The unique partial index decides; the loop covers an active run finishing between our
    // failed insert and the read of it.
    for (let attempt = 0; attempt < 5; attempt += 1) {
      try {
        await this.runs.insertOne({ ...doc });
        return { run: created, created: true };
      } catch (error) {
        if (!isDuplicateKeyError(error, { ignoreIdIndex: true })) throw error;
      }
      const active = await this.runs.findOne({ tenantId: run.tenantId, resource: run.resource, active: true });
      if (active) return { run: runFromDoc(active), created: false };
    }
    throw new Error(`could not create or find the active ${run.resource} run of tenant ${run.tenantId}`);
  }

  async getRun(runId: RunId): Promise<RunRecord | undefined> {
    const doc = await this.runs.findOne({ _id: runId });
    return doc ? runFromDoc(doc) : undefined;
  }

  async listRuns(query: { tenantId?: TenantId; limit: number }): Promise<RunRecord[]> {
    // limit(0) means "no limit" to MongoDB but "no rows" to SQLite.
    if (query.limit < 1) return [];
    const filter: Filter<RunDoc> = query.tenantId === undefined ? {} : { tenantId: query.tenantId };
    const docs = await this.runs.find(filter).sort({ createdAt: -1, _id: -1 }).limit(query.limit).toArray();
    return docs.map(runFromDoc);
  }

  async markRunRunning(runId: RunId, at: string): Promise<void> {
    await this.runs.updateOne({ _id: runId, status: 'queued' }, [
      { $set: { status: 'running', startedAt: { $ifNull: ['$startedAt', { $literal: at }] } } },
    ]);
  }

  async addRunCounters(runId: RunId, delta: Partial<RunCounters>): Promise<void> {
    const inc: Record<string, number> = {};
    for (const key of Object.keys(EMPTY_COUNTERS) as (keyof RunCounters)[]) {
      const value = delta[key];
      if (typeof value === 'number' && value !== 0) inc[`counters.${key}`] = value;
    }
    if (Object.keys(inc).length === 0) return;
    await this.runs.updateOne({ _id: runId }, { $inc: inc });
  }

  async addRunWarning(runId: RunId, warning: string): Promise<void> {
    await this.runs.updateOne({ _id: runId }, { $addToSet: { warnings: warning } });
  }

  async finishRun(
    runId: RunId,
    outcome: { status: 'succeeded' | 'failed' | 'cancelled'; at: string; error?: { code: string; message: string } },
  ): Promise<boolean> {
    // A pipeline update so startedAt can be COALESCEd; $literal keeps strings starting with "$"
    // (an error message) from being read as field paths.
    const result = await this.runs.updateOne({ _id: runId, status: { $in: [...ACTIVE_RUN_STATUSES] } }, [
      {
        $set: {
          status: { $literal: outcome.status },
          active: false,
          finishedAt: { $literal: outcome.at },
          error: { $literal: outcome.error ?? null },
          startedAt: { $ifNull: ['$startedAt', { $literal: outcome.at }] },
        },
      },
    ]);
    return result.modifiedCount > 0;
  }

  /**
   * Not one transaction (a standalone server has none), so ordered for a safe retry: objects are
   * upserted first (idempotent; with their feed entries, see mongodb-change-feed.ts), then the
   * page is recorded, and only the commit that recorded it counts it. A failure before the record
   * leaves the page uncounted for the retry to count.
   */
  async commitPage(page: PageCommit): Promise<boolean> {
    await this.feed.commitObjects(page, (writes, session) => this.upsertObjects(page, writes, session));
    try {
      await this.runPages.insertOne({
        runId: page.runId,
        pageKey: page.pageKey,
        tenantId: page.tenantId,
        objects: page.objects.length,
        committedAt: page.at,
      });
    } catch (error) {
      if (isDuplicateKeyError(error)) return false;
      throw error;
    }
    await this.runs.updateOne(
      { _id: page.runId },
      { $inc: { 'counters.pages': 1, 'counters.objects': page.objects.length } },
    );
    return true;
  }

  /** The objects of a page with their content hashes, in `session` when the feed runs in a transaction. */
  private async upsertObjects(page: PageCommit, writes: HashedWrite[], session?: ClientSession): Promise<void> {
    if (writes.length === 0) return;
    await this.objects.bulkWrite(
      writes.map(({ object: o, hash }) => ({
        updateOne: {
          filter: { tenantId: page.tenantId, type: page.type, oktaId: o.oktaId },
          update: {
            $set: { data: o.data, oktaLastUpdated: o.oktaLastUpdated, syncedAt: page.at, runId: page.runId, deletedAt: null, dataHash: hash },
          },
          upsert: true,
        },
      })),
      { ordered: false, ...(session ? { session } : {}) },
    );
  }

  async sweep(q: SweepQuery): Promise<number> {
    const filter: Filter<ObjectDoc> = { tenantId: q.tenantId, type: q.type, runId: { $ne: q.runId }, deletedAt: null };
    // An anchored literal regex is answered from the index as a range scan.
    if (q.oktaIdPrefix) filter.oktaId = { $regex: `^${escapeRegex(q.oktaIdPrefix)}` };
    return this.feed.sweep(q, filter);
  }

  async readChanges(q: ChangesQuery): Promise<ChangesPage> {
    return this.feed.read(q);
  }

  async feedRangeOfRun(runId: RunId): Promise<FeedRange | null> {
    return this.feed.rangeOfRun(runId);
  }

  async purgeChangesBefore(before: string): Promise<number> {
    return this.feed.purgeBefore(before);
  }

  async listObjects(q: ListObjectsQuery): Promise<{ items: StoredObject[]; next: string | null }> {
    const after = q.after === undefined ? '' : decodeCursor(q.after);
    if (q.limit < 1) return { items: [], next: null };
    const filter: Filter<ObjectDoc> = { tenantId: q.tenantId, type: q.type, oktaId: { $gt: after } };
    if (!q.includeDeleted) filter.deletedAt = null;
    const docs = await this.objects.find(filter).sort({ oktaId: 1 }).limit(q.limit).toArray();
    const items = docs.map(objectFromDoc);
    const last = items.at(-1);
    return { items, next: items.length === q.limit && last ? encodeCursor(last.oktaId) : null };
  }

  async countObjects(q: { tenantId: TenantId; type: ObjectType; includeDeleted?: boolean }): Promise<number> {
    const filter: Filter<ObjectDoc> = { tenantId: q.tenantId, type: q.type };
    if (!q.includeDeleted) filter.deletedAt = null;
    return this.objects.countDocuments(filter);
  }

  async getWatermark(tenantId: TenantId, resource: Resource): Promise<string | undefined> {
    const doc = await this.syncState.findOne({ tenantId, resource });
    return doc ? doc.watermark : undefined;
  }

  async setWatermark(tenantId: TenantId, resource: Resource, watermark: string, at: string): Promise<void> {
    await this.syncState.updateOne({ tenantId, resource }, { $set: { watermark, updatedAt: at } }, { upsert: true });
  }

  async createConnectLink(link: ConnectLinkRecord): Promise<void> {
    await this.links.create(link);
  }

  async getConnectLink(tokenHash: string): Promise<ConnectLinkRecord | undefined> {
    return this.links.get(tokenHash);
  }

  async countConnectAttempt(tokenHash: string, max: number): Promise<number | undefined> {
    return this.links.countAttempt(tokenHash, max);
  }

  async useConnectLink(tokenHash: string, at: string): Promise<boolean> {
    return this.links.use(tokenHash, at);
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

/** The database named by the URL's path (`mongodb://host/db?…`), else `okta_sync`. */
export function mongoDatabaseName(url: string): string {
  const path = /^mongodb(?:\+srv)?:\/\/[^/?#]*\/([^?#]*)/.exec(url)?.[1];
  return path ? decodeURIComponent(path) : DEFAULT_MONGO_DATABASE;
}

function escapeRegex(literal: string): string {
  return literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function tenantFromDoc(doc: TenantDoc): TenantRecord {
  const { _id, ...tenant } = doc;
  return tenant;
}

function runFromDoc(doc: RunDoc): RunRecord {
  const { _id, active, ...run } = doc;
  return { ...run, counters: { ...EMPTY_COUNTERS, ...run.counters } };
}

function objectFromDoc(doc: ObjectDoc & { _id?: unknown }): StoredObject {
  return {
    tenantId: doc.tenantId,
    type: doc.type,
    oktaId: doc.oktaId,
    data: doc.data,
    oktaLastUpdated: doc.oktaLastUpdated,
    syncedAt: doc.syncedAt,
    runId: doc.runId,
    deletedAt: doc.deletedAt,
  };
}
