import { hash } from 'node:crypto';
import { OktaSyncError, ValidationError } from '../errors.js';
import type { RunId, TenantId } from '../ids.js';
import type { ObjectType } from './sync-store.js';

/**
 * The change feed (DESIGN.md flow step 6): per tenant, one entry per object created, whose `data`
 * changed, or that was marked deleted, written in the same commit as the object. Glossary:
 * - *seq*: the entry's position in its tenant's feed, 1, 2, 3… in commit order, never reused;
 * - *cursor*: the seq as callers see it (opaque base64url); `after` a cursor means seq > it;
 * - *head*: the highest seq a tenant's feed has handed out;
 * - *purgedThrough*: the highest seq retention has removed; a cursor below it has lost entries.
 */
export const CHANGE_OPS = ['upsert', 'delete'] as const;
export type ChangeOp = (typeof CHANGE_OPS)[number];

export interface ChangeEntry {
  cursor: string;
  op: ChangeOp;
  type: ObjectType;
  oktaId: string;
  /** The object's data as written (upserts only). */
  data?: unknown;
  changedAt: string;
}

export interface ChangesQuery {
  tenantId: TenantId;
  /** A cursor from an entry or a previous `next`; absent reads from the start of what is retained. */
  after?: string;
  /** 1 or more (callers clamp it). */
  limit: number;
  /** Only these types (all when absent or empty). */
  types?: readonly ObjectType[];
}

export interface ChangesPage {
  items: ChangeEntry[];
  /** Always set: where to resume, also when nothing was returned (caught up). */
  next: string;
}

/** The part of a tenant's feed one run wrote (webhooks' `objects.changed`). */
export interface FeedRange {
  tenantId: TenantId;
  runId: RunId;
  /** Read with `after = afterCursor` to start at the run's first entry. */
  afterCursor: string;
  firstCursor: string;
  lastCursor: string;
  /** Entries this run appended (other runs' entries may sit between first and last). */
  upserts: number;
  deletes: number;
}

/** Adapter options for the feed. */
export interface ChangeFeedOptions {
  /** Default true. False writes no entries (only for measuring the feed's cost in benches). */
  enabled?: boolean;
  /** Called after a commit that appended entries (metrics); must not throw. */
  onAppended?: (tenantId: TenantId, op: ChangeOp, count: number) => void;
}

/**
 * The cursor is older than retention: entries after it are gone. The consumer re-reads
 * `/objects` and then reads the feed after `restartCursor` (the head when this was raised, so
 * nothing written during the re-read is missed).
 */
export class CursorExpiredError extends OktaSyncError {
  readonly restartCursor: string;
  constructor(restartCursor: string) {
    super('cursor_expired', 'the cursor is older than the change feed retention: re-read /objects, then read changes after restartCursor');
    this.restartCursor = restartCursor;
  }
}

const MAX_SEQ = Number.MAX_SAFE_INTEGER;

export function encodeFeedCursor(seq: number): string {
  return Buffer.from(`c${seq}`, 'utf8').toString('base64url');
}

export function decodeFeedCursor(cursor: string): number {
  const bad = () => new ValidationError('after is not a change feed cursor', { after: 'invalid cursor' });
  if (!/^[A-Za-z0-9_-]{1,40}$/.test(cursor)) throw bad();
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const m = /^c(0|[1-9][0-9]{0,15})$/.exec(text);
  const seq = m ? Number(m[1]) : Number.NaN;
  if (!Number.isSafeInteger(seq) || seq > MAX_SEQ) throw bad();
  return seq;
}

/**
 * Content hash of an object's data as stored (its JSON text). Okta serializes a resource with a
 * stable key order, so equal data gives equal text; a reordering would cost a spurious upsert,
 * never a missed change.
 */
export function contentHash(json: string): string {
  return hash('sha1', json, 'base64url');
}

/** The seq to read after, checked against what the tenant's feed has retained and handed out. */
export function checkAfter(after: string | undefined, feed: { head: number; purgedThrough: number }): number {
  const seq = after === undefined ? feed.purgedThrough : decodeFeedCursor(after);
  if (seq < feed.purgedThrough) throw new CursorExpiredError(encodeFeedCursor(feed.head));
  if (seq > feed.head) throw new ValidationError('after is ahead of this tenant\'s change feed', { after: 'unknown cursor' });
  return seq;
}

/** Counts of a batch of entries by op, for `onAppended`. */
export function reportAppended(options: ChangeFeedOptions, tenantId: TenantId, upserts: number, deletes: number): void {
  if (upserts > 0) options.onAppended?.(tenantId, 'upsert', upserts);
  if (deletes > 0) options.onAppended?.(tenantId, 'delete', deletes);
}
