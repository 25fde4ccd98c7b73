import type { ClientSession, Collection, Db, Filter, MongoClient } from 'mongodb';
import type { RunId, TenantId } from '../ids.js';
import {
  type ChangeEntry,
  type ChangeFeedOptions,
  type ChangeOp,
  type ChangesPage,
  type ChangesQuery,
  checkAfter,
  contentHash,
  encodeFeedCursor,
  type FeedRange,
  reportAppended,
} from './change-feed.js';
import type { ObjectDoc } from './mongodb-indexes.js';
import type { ObjectType, ObjectWrite, PageCommit, SweepQuery } from './sync-store.js';

/** Collections of the feed (same names as the SQLite tables). */
export const FEED_COLLECTIONS = { changes: 'changes', feeds: 'change_feeds', runs: 'change_runs' } as const;

export interface ChangeDoc {
  tenantId: TenantId;
  seq: number;
  op: ChangeOp;
  type: ObjectType;
  oktaId: string;
  data?: unknown;
  changedAt: string;
}
/** Per tenant: the last seq handed out and how far retention purged. */
export interface ChangeFeedDoc {
  _id: TenantId;
  head: number;
  purgedThrough: number;
}
export interface ChangeRunDoc {
  _id: RunId;
  tenantId: TenantId;
  first: number;
  last: number;
  upserts: number;
  deletes: number;
}

/** An object of a page with its content hash (null with the feed off). */
export interface HashedWrite {
  object: ObjectWrite;
  hash: string | null;
}

/**
 * Without a replica set, entries are written before the objects and are never read until they
 * are this old: long enough for an entry allocated earlier but inserted later to show up first.
 */
const STANDALONE_SETTLE_MS = 5_000;
const BATCH = 1_000;

export async function ensureFeedIndexes(db: Db): Promise<void> {
  await Promise.all([
    db.collection(FEED_COLLECTIONS.changes).createIndexes([
      { key: { tenantId: 1, seq: 1 }, name: 'changes_key', unique: true },
      { key: { changedAt: 1 }, name: 'changes_by_time' },
    ]),
    db.collection(FEED_COLLECTIONS.runs).createIndexes([{ key: { tenantId: 1 }, name: 'change_runs_by_tenant' }]),
  ]);
}

/** Transactions need a replica set or mongos; a standalone server has none. */
export async function supportsTransactions(db: Db): Promise<boolean> {
  const hello = await db.admin().command({ hello: 1 });
  return typeof hello.setName === 'string' || hello.msg === 'isdbgrid';
}

/**
 * The MongoDB side of the change feed. Seqs come from a per-tenant counter document
 * (`findOneAndUpdate` + `$inc`). On a replica set the object writes, the counter and the entries
 * are one transaction: nothing is visible before commit, and two commits of one tenant conflict
 * on the counter, so seq order is commit order. On a standalone server the entries are written
 * first and the objects after: a crash in between leaves entries whose write the page's retry
 * repeats (a consumer may see an upsert twice), never an object change without an entry.
 */
export class MongoChangeFeed {
  private readonly enabled: boolean;
  private readonly changes: Collection<ChangeDoc>;
  private readonly feeds: Collection<ChangeFeedDoc>;
  private readonly runs: Collection<ChangeRunDoc>;

  constructor(
    private readonly client: MongoClient,
    db: Db,
    private readonly objects: Collection<ObjectDoc>,
    private readonly transactions: boolean,
    private readonly options: ChangeFeedOptions = {},
  ) {
    this.enabled = options.enabled !== false;
    this.changes = db.collection<ChangeDoc>(FEED_COLLECTIONS.changes);
    this.feeds = db.collection<ChangeFeedDoc>(FEED_COLLECTIONS.feeds);
    this.runs = db.collection<ChangeRunDoc>(FEED_COLLECTIONS.runs);
  }

  /** Writes a page's objects through `upsert` together with their feed entries. */
  async commitObjects(page: PageCommit, upsert: (writes: HashedWrite[], session?: ClientSession) => Promise<void>): Promise<void> {
    const writes = page.objects.map((object) => ({ object, hash: this.enabled ? contentHash(JSON.stringify(object.data)) : null }));
    if (!this.enabled || writes.length === 0) return upsert(writes);
    let changed: HashedWrite[] = [];
    await this.atomically(async (session) => {
      changed = await this.changedOf(page, writes, session);
      const entries = changed.map((w) => ({ op: 'upsert' as const, oktaId: w.object.oktaId, data: w.object.data }));
      if (session) {
        await upsert(writes, session);
        await this.append(page.tenantId, page.runId, page.type, entries, page.at, session);
      } else {
        await this.append(page.tenantId, page.runId, page.type, entries, page.at);
        await upsert(writes);
      }
    });
    reportAppended(this.options, page.tenantId, changed.length, 0);
  }

  /** The sweep with a delete entry per object it marks. */
  async sweep(q: SweepQuery, filter: Filter<ObjectDoc>, set: Pick<ObjectDoc, 'deletedAt' | 'deletedBy'>): Promise<number> {
    if (!this.enabled) return (await this.objects.updateMany(filter, { $set: set })).modifiedCount;
    let marked = 0;
    await this.atomically(async (session) => {
      marked = 0;
      const options = session ? { session } : {};
      const ids = (await this.objects.find(filter, { ...options, projection: { oktaId: 1 } }).toArray()).map((d) => d.oktaId);
      for (let i = 0; i < ids.length; i += BATCH) {
        const chunk = ids.slice(i, i + BATCH);
        const entries = chunk.map((oktaId) => ({ op: 'delete' as const, oktaId }));
        if (!session) await this.append(q.tenantId, q.countFor ?? q.runId, q.type, entries, q.at);
        marked += (await this.objects.updateMany({ ...filter, oktaId: { $in: chunk } }, { $set: set }, options)).modifiedCount;
        if (session) await this.append(q.tenantId, q.countFor ?? q.runId, q.type, entries, q.at, session);
      }
    });
    reportAppended(this.options, q.tenantId, 0, marked);
    return marked;
  }

  async read(q: ChangesQuery): Promise<ChangesPage> {
    const feed = await this.feedOf(q.tenantId);
    const after = checkAfter(q.after, feed);
    const filter: Filter<ChangeDoc> = { tenantId: q.tenantId, seq: { $gt: after, $lte: feed.head } };
    if (q.types && q.types.length > 0) filter.type = { $in: [...q.types] };
    if (!this.transactions) filter.changedAt = { $lte: new Date(Date.now() - STANDALONE_SETTLE_MS).toISOString() };
    const docs = await this.changes.find(filter).sort({ seq: 1 }).limit(q.limit).toArray();
    const items = docs.map(entryFromDoc);
    const lastSeq = docs.at(-1)?.seq ?? after;
    // Caught up on a transactional server: every entry up to the head was committed with it.
    const next = docs.length < q.limit && this.transactions ? feed.head : lastSeq;
    return { items, next: encodeFeedCursor(Math.max(after, next)) };
  }

  async rangeOfRun(runId: RunId): Promise<FeedRange | null> {
    const doc = await this.runs.findOne({ _id: runId });
    if (!doc) return null;
    return {
      tenantId: doc.tenantId,
      runId,
      afterCursor: encodeFeedCursor(doc.first - 1),
      firstCursor: encodeFeedCursor(doc.first),
      lastCursor: encodeFeedCursor(doc.last),
      upserts: doc.upserts,
      deletes: doc.deletes,
    };
  }

  async purgeBefore(before: string): Promise<number> {
    const ranges = await this.changes
      .aggregate<{ _id: TenantId; upto: number }>([{ $match: { changedAt: { $lt: before } } }, { $group: { _id: '$tenantId', upto: { $max: '$seq' } } }])
      .toArray();
    let removed = 0;
    for (const { _id: tenantId, upto } of ranges) {
      // The mark first: a reader never sees a cursor pass entries that are already gone.
      await this.feeds.updateOne({ _id: tenantId }, { $max: { purgedThrough: upto } });
      removed += (await this.changes.deleteMany({ tenantId, seq: { $lte: upto } })).deletedCount;
      await this.runs.deleteMany({ tenantId, last: { $lte: upto } });
    }
    return removed;
  }

  async purgeTenant(tenantId: TenantId): Promise<void> {
    const feed = await this.feeds.findOne({ _id: tenantId });
    if (feed) await this.feeds.updateOne({ _id: tenantId }, { $max: { purgedThrough: feed.head } });
    await Promise.all([this.changes.deleteMany({ tenantId }), this.runs.deleteMany({ tenantId })]);
  }

  private async feedOf(tenantId: TenantId): Promise<{ head: number; purgedThrough: number }> {
    const doc = await this.feeds.findOne({ _id: tenantId });
    return { head: doc?.head ?? 0, purgedThrough: doc?.purgedThrough ?? 0 };
  }

  private async atomically(work: (session?: ClientSession) => Promise<void>): Promise<void> {
    if (!this.transactions) return work();
    const session = this.client.startSession();
    try {
      await session.withTransaction(() => work(session));
    } finally {
      await session.endSession();
    }
  }

  private async changedOf(page: PageCommit, writes: HashedWrite[], session?: ClientSession): Promise<HashedWrite[]> {
    const current = await this.objects
      .find(
        { tenantId: page.tenantId, type: page.type, oktaId: { $in: writes.map((w) => w.object.oktaId) } },
        { projection: { oktaId: 1, dataHash: 1, deletedAt: 1 }, ...(session ? { session } : {}) },
      )
      .toArray();
    const byId = new Map(current.map((d) => [d.oktaId, d]));
    return writes.filter((w) => {
      const doc = byId.get(w.object.oktaId);
      return !doc || doc.dataHash !== w.hash || doc.deletedAt !== null;
    });
  }

  /** Allocates seqs from the tenant's counter and inserts the entries (last in a transaction: short conflicts). */
  private async append(
    tenantId: TenantId,
    runId: RunId,
    type: ObjectType,
    entries: readonly { op: ChangeOp; oktaId: string; data?: unknown }[],
    at: string,
    session?: ClientSession,
  ): Promise<void> {
    if (entries.length === 0) return;
    const options = session ? { session } : {};
    const feed = await this.feeds.findOneAndUpdate(
      { _id: tenantId },
      { $inc: { head: entries.length }, $setOnInsert: { purgedThrough: 0 } },
      { upsert: true, returnDocument: 'after', ...options },
    );
    if (!feed) throw new Error(`change feed counter of ${tenantId} missing after upsert`);
    const first = feed.head - entries.length + 1;
    await this.changes.insertMany(
      entries.map((e, i) => ({ tenantId, seq: first + i, op: e.op, type, oktaId: e.oktaId, ...(e.op === 'upsert' ? { data: e.data } : {}), changedAt: at })),
      { ordered: false, ...options },
    );
    const upserts = entries.filter((e) => e.op === 'upsert').length;
    await this.runs.updateOne(
      { _id: runId },
      { $setOnInsert: { tenantId }, $min: { first }, $max: { last: feed.head }, $inc: { upserts, deletes: entries.length - upserts } },
      { upsert: true, ...options },
    );
  }
}

function entryFromDoc(doc: ChangeDoc): ChangeEntry {
  return {
    cursor: encodeFeedCursor(doc.seq),
    op: doc.op,
    type: doc.type,
    oktaId: doc.oktaId,
    ...(doc.op === 'upsert' ? { data: doc.data } : {}),
    changedAt: doc.changedAt,
  };
}
