import { type ClientSession, type Collection, type Db, MongoClient, type UpdateFilter } from 'mongodb';
import type { RunId, TenantId } from '../ids.js';
import type { Resource } from '../resources.js';
import type { ChangeFeedOptions, ChangesPage, ChangesQuery, FeedRange } from './change-feed.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { ensureFeedIndexes, type HashedWrite, MongoChangeFeed, supportsTransactions } from './mongodb-change-feed.js';
import { type ConnectLinkDoc, MongoConnectLinks } from './mongodb-connect-links.js';
import { type EventHookDoc, MongoEventHooks } from './mongodb-event-hooks.js';
import { MONGO_CLIENT_OPTIONS, mongoDatabaseName, pinnedMongoUrl } from './mongodb-client.js';

export { DEFAULT_MONGO_DATABASE, mongoDatabaseName } from './mongodb-client.js';
import { objectFromDoc, runFromDoc, tenantFromDoc } from './mongodb-docs.js';
import { MONGO_PURGE_TASKS, MONGO_QUERIES } from './mongodb-queries.js';
import { retentionCutoffs } from './retention.js';
import type { StoreTestHooks } from './store-hooks.js';
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
  DEFAULT_RETENTION,
  EMPTY_COUNTERS,
  type ConnectLinkRecord,
  type EventHookRecord,
  type ListObjectsQuery,
  type ObjectType,
  type PageCommit,
  type PurgeReport,
  type RetentionPolicy,
  type RunCounters,
  type RunRecord,
  type StoredObject,
  type SweepQuery,
  type SyncStore,
  type TenantRecord,
  type TenantStatus,
  type WebhookRecord,
} from './sync-store.js';


export interface MongoStoreOptions {
  /** TTL index expiries follow it (default DEFAULT_RETENTION): every process should pass the same. */
  retention?: RetentionPolicy;
  /** Crash-injection points for tests; never set in production. */
  hooks?: StoreTestHooks;
  /** The change feed: on by default. */
  feed?: ChangeFeedOptions;
}

/**
 * The production store. Same semantics as the SQLite adapter, built on single-document atomicity
 * and unique indexes rather than transactions, so it works on a standalone server too: where two
 * writes cannot be one (a page record and the run's counters), `finishRun` recounts from the
 * records, so the final counters are exact whatever crashed in between.
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
  private readonly eventHooks: MongoEventHooks;

  private constructor(
    private readonly client: MongoClient,
    private readonly db: Db,
    transactions: boolean,
    feedOptions: ChangeFeedOptions,
    private readonly hooks: StoreTestHooks,
  ) {
    this.tenants = db.collection<TenantDoc>(COLLECTIONS.tenants);
    this.objects = db.collection<ObjectDoc>(COLLECTIONS.objects);
    this.runs = db.collection<RunDoc>(COLLECTIONS.runs);
    this.runPages = db.collection<RunPageDoc>(COLLECTIONS.runPages);
    this.syncState = db.collection<SyncStateDoc>(COLLECTIONS.syncState);
    this.webhooks = db.collection<WebhookDoc>(COLLECTIONS.webhooks);
    this.feed = new MongoChangeFeed(client, db, this.objects, transactions, feedOptions);
    this.links = new MongoConnectLinks(db.collection<ConnectLinkDoc>(COLLECTIONS.connectLinks));
    this.eventHooks = new MongoEventHooks(db.collection<EventHookDoc>(COLLECTIONS.eventHooks));
  }

  /**
   * Connects and creates the indexes; the database is the URL's path, `okta_sync` by default. Read
   * preference, write concern and retries are pinned (MONGO_CLIENT_OPTIONS), whatever the URL says.
   */
  static async connect(url: string, options: MongoStoreOptions = {}): Promise<MongoStore> {
    const client = new MongoClient(pinnedMongoUrl(url), { ...MONGO_CLIENT_OPTIONS });
    await client.connect();
    try {
      const db = client.db(mongoDatabaseName(url));
      await Promise.all([ensureIndexes(db, options.retention ?? DEFAULT_RETENTION), ensureFeedIndexes(db)]);
      return new MongoStore(client, db, await supportsTransactions(db), options.feed ?? {}, options.hooks ?? {});
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
    // Data first, the tenant record last: a purge that fails half-way leaves the tenant listed, and
    // calling it again finishes the job (every step is idempotent).
    if (options.purgeData) {
      await this.objects.deleteMany({ tenantId });
      await this.runPages.deleteMany({ tenantId });
      await this.runs.deleteMany({ tenantId });
      await this.syncState.deleteMany({ tenantId });
      await this.feed.purgeTenant(tenantId);
      this.hooks.beforeTenantRecord?.();
    }
    await this.webhooks.deleteOne({ _id: tenantId });
    await this.eventHooks.delete(tenantId);
    // Outstanding onboarding links die with the tenant (they would re-create it).
    await this.links.deleteForTenant(tenantId);
    return (await this.tenants.deleteOne({ _id: tenantId })).deletedCount > 0;
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

  putEventHook(hook: EventHookRecord): Promise<{ created: boolean }> {
    return this.eventHooks.put(hook);
  }

  getEventHook(tenantId: TenantId): Promise<EventHookRecord | undefined> {
    return this.eventHooks.get(tenantId);
  }

  deleteEventHook(tenantId: TenantId): Promise<boolean> {
    return this.eventHooks.delete(tenantId);
  }

  async createRunUnlessActive(run: RunRecord): Promise<{ run: RunRecord; created: boolean }> {
    const created: RunRecord = { ...run, counters: { ...EMPTY_COUNTERS } };
    const active = ACTIVE_RUN_STATUSES.includes(run.status);
    const doc: RunDoc = { ...created, _id: run.runId, active, finishedAt: run.finishedAt === null ? null : new Date(run.finishedAt) };
    // The unique partial index decides for an active run; the loop covers an active run finishing
    // between our failed insert and the read of it. A final run is inserted only while none is active.
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const standing = active ? undefined : await this.runs.findOne(MONGO_QUERIES.activeRun(run.tenantId, run.resource));
      if (standing) return { run: runFromDoc(standing), created: false };
      try {
        await this.runs.insertOne({ ...doc });
        return { run: created, created: true };
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
      }
      // The runId exists already (a replay) or another run is active: either way that one stands.
      const existing = (await this.runs.findOne({ _id: run.runId })) ?? (await this.runs.findOne(MONGO_QUERIES.activeRun(run.tenantId, run.resource)));
      if (existing) return { run: runFromDoc(existing), created: false };
    }
    throw new Error(`could not create or find the active ${run.resource} run of tenant ${run.tenantId}`);
  }

  async getRun(runId: RunId): Promise<RunRecord | undefined> {
    const doc = await this.runs.findOne({ _id: runId });
    return doc ? runFromDoc(doc) : undefined;
  }

  async listRuns(query: { tenantId?: TenantId; limit: number }): Promise<RunRecord[]> {
    // limit(0) means "no limit" to MongoDB but "no rows" to SQLite; a negative SQLite LIMIT, "all".
    if (query.limit < 1) return [];
    const { filter, sort } = MONGO_QUERIES.runs(query.tenantId);
    const docs = await this.runs.find(filter).sort(sort).limit(query.limit).toArray();
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
    const recount = await this.recount(runId);
    // A pipeline update so startedAt can be COALESCEd; $literal keeps strings starting with "$"
    // (an error message) from being read as field paths.
    const at = new Date(outcome.at);
    const result = await this.runs.updateOne(MONGO_QUERIES.activeRunById(runId), [
      {
        $set: {
          status: { $literal: outcome.status },
          active: false,
          finishedAt: { $literal: at },
          error: { $literal: outcome.error ?? null },
          startedAt: { $ifNull: ['$startedAt', { $literal: outcome.at }] },
          counters: { $mergeObjects: ['$counters', { $literal: recount }] },
        },
      },
    ]);
    if (result.modifiedCount === 0) return false;
    // The page records expire a day from now (run_pages_final_ttl); if this is lost, the backstop TTL.
    await this.runPages.updateMany(MONGO_QUERIES.pagesOfRun(runId), { $set: { runFinalAt: at } });
    return true;
  }

  /** pages/objects from the page records, deleted from the tombstones counted toward the run. */
  private async recount(runId: RunId): Promise<Pick<RunCounters, 'pages' | 'objects' | 'deleted'>> {
    const [pages] = await this.runPages
      .aggregate<{ pages: number; objects: number }>([
        { $match: MONGO_QUERIES.pagesOfRun(runId) },
        { $group: { _id: null, pages: { $sum: 1 }, objects: { $sum: '$objects' } } },
      ])
      .toArray();
    const deleted = await this.objects.countDocuments(MONGO_QUERIES.deletedBy(runId));
    return { pages: pages?.pages ?? 0, objects: pages?.objects ?? 0, deleted };
  }

  /**
   * Not one transaction (a standalone server has none), so ordered for a safe retry: objects are
   * upserted first (idempotent; with their feed entries, see mongodb-change-feed.ts), then the
   * page is recorded, and only the commit that recorded it counts it. A failure before the record
   * leaves the page uncounted for the retry to count; one between the record and the count leaves
   * the live counters short until `finishRun` recounts.
   */
  async commitPage(page: PageCommit): Promise<boolean> {
    await this.feed.commitObjects(page, (writes, session) => this.upsertObjects(page, writes, session));
    this.hooks.afterPageObjects?.();
    try {
      await this.runPages.insertOne({
        runId: page.runId,
        pageKey: page.pageKey,
        tenantId: page.tenantId,
        objects: page.objects.length,
        committedAt: new Date(page.at),
      });
    } catch (error) {
      if (isDuplicateKeyError(error)) return false;
      throw error;
    }
    this.hooks.afterPageRecord?.();
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
    const countFor = q.countFor ?? q.runId;
    const marked = await this.feed.sweep(q, MONGO_QUERIES.sweep(q), { deletedAt: new Date(q.at), deletedBy: countFor });
    // Not atomic with the update: a crash here leaves the live counter short until finishRun recounts.
    if (marked > 0) await this.runs.updateOne({ _id: countFor }, { $inc: { 'counters.deleted': marked } });
    return marked;
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
    const docs = await this.objects.find(MONGO_QUERIES.objects(q, after)).sort({ oktaId: 1 }).limit(q.limit).toArray();
    const items = docs.map(objectFromDoc);
    const last = items.at(-1);
    return { items, next: items.length === q.limit && last ? encodeCursor(last.oktaId) : null };
  }

  async countObjects(q: { tenantId: TenantId; type: ObjectType; includeDeleted?: boolean }): Promise<number> {
    return this.objects.countDocuments(MONGO_QUERIES.objects(q));
  }

  /** The TTL indexes do this on their own about once a minute; this is the same on demand. */
  async purgeExpired(policy: RetentionPolicy, now: Date): Promise<PurgeReport> {
    const cutoffs = retentionCutoffs(policy, now);
    const report: PurgeReport = {};
    for (const task of MONGO_PURGE_TASKS) {
      report[task.name] = (await this.db.collection(task.collection).deleteMany(task.filter(cutoffs))).deletedCount;
    }
    // The feed purges through its own call: it also raises each tenant's purgedThrough (410 below it).
    report.changes = await this.feed.purgeBefore(cutoffs.changes.toISOString());
    return report;
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
