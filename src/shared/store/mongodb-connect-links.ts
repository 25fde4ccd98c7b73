import type { Collection } from 'mongodb';
import type { TenantId } from '../ids.js';
import type { ConnectLinkRecord } from './sync-store.js';

/**
 * A connect link keyed by its token hash. `purgeAt` (a BSON date, what a TTL index needs) lets
 * MongoDB drop a link 30 days after it expired; the record itself keeps ISO strings like every other.
 */
export type ConnectLinkDoc = Omit<ConnectLinkRecord, 'tokenHash'> & { _id: string; purgeAt: Date };

/** How long a used or expired link is kept (so its page can still say "used" or "expired"). */
const RETENTION_MS = 30 * 24 * 3600 * 1000;

/** The `connect_links` collection of the MongoDB adapter; single-document updates carry every rule. */
export class MongoConnectLinks {
  constructor(private readonly links: Collection<ConnectLinkDoc>) {}

  async create(link: ConnectLinkRecord): Promise<void> {
    const { tokenHash, ...fields } = link;
    await this.links.insertOne({ ...fields, _id: tokenHash, purgeAt: new Date(Date.parse(link.expiresAt) + RETENTION_MS) });
  }

  async get(tokenHash: string): Promise<ConnectLinkRecord | undefined> {
    const doc = await this.links.findOne({ _id: tokenHash });
    return doc ? linkFromDoc(doc) : undefined;
  }

  async countAttempt(tokenHash: string, max: number): Promise<number | undefined> {
    const doc = await this.links.findOneAndUpdate(
      { _id: tokenHash, usedAt: null, attempts: { $lt: max } },
      { $inc: { attempts: 1 } },
      { returnDocument: 'after' },
    );
    return doc ? doc.attempts : undefined;
  }

  async use(tokenHash: string, at: string): Promise<boolean> {
    const result = await this.links.updateOne({ _id: tokenHash, usedAt: null }, { $set: { usedAt: at } });
    return result.modifiedCount === 1;
  }

  async deleteForTenant(tenantId: TenantId): Promise<void> {
    await this.links.deleteMany({ tenantId });
  }
}

function linkFromDoc(doc: ConnectLinkDoc): ConnectLinkRecord {
  const { _id, purgeAt: _purgeAt, ...fields } = doc;
  return {
    tokenHash: _id,
    tenantId: fields.tenantId,
    createdAt: fields.createdAt,
    expiresAt: fields.expiresAt,
    returnUrl: fields.returnUrl ?? null,
    formKey: fields.formKey,
    attempts: fields.attempts,
    usedAt: fields.usedAt ?? null,
  };
}
