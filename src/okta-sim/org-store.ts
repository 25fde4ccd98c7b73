import type { OrgData, SimApp, SimAppUser, SimGroup, LogRecord, SimLogEvent, SimUser } from './org-model.js';
import type { Reply } from './reply.js';
import { SearchLag } from './search-lag.js';

const PAGE_CACHE_BYTES = 64 * 1024 * 1024;
const MAX_VIEWS = 100;
const byId = (a: { id: string }, b: { id: string }): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * One org's data plus everything derived from it: sorted views, serialized objects and whole
 * cached pages. Any mutation calls `touch()`, which drops the derived state, so a cached page can
 * never outlive the data it was built from.
 */
export class OrgStore {
  /** Bumped on every mutation. */
  version = 0;
  /** Latest timestamp a mutation handed out, so stamps keep increasing across calls. */
  lastStampMs = 0;
  private readonly views = new Map<string, unknown[]>();
  private readonly json = new WeakMap<object, string>();
  /** Whole replies keyed by request URL, valid until the next mutation. */
  readonly pages = new Map<string, Reply>();

  /** Eventual consistency of user search (`searchLagMs`). */
  readonly searchLag: SearchLag;

  /** Told of every System Log event a mutation writes (the org's Event Hook deliveries). */
  onLogEvent: ((event: SimLogEvent) => void) | undefined;

  constructor(readonly data: OrgData, readonly baseUrl: string, searchLagMs = 0) {
    this.searchLag = new SearchLag(searchLagMs);
  }

  /** Hands a just-written System Log record to `onLogEvent`. */
  logWritten(record: LogRecord | undefined): void {
    if (record) this.onLogEvent?.(record.event);
  }

  touch(): void {
    this.version++;
    this.views.clear();
    this.clearPages();
  }

  private pageBytes = 0;

  /** Caches a page; starts over past 64 MiB, so a client walking many distinct URLs cannot grow it without bound. */
  cachePage(url: string, reply: Reply): void {
    // While search lags behind a change, the same URL answers differently as time passes.
    if (this.searchLag.pending(Date.now())) return;
    if (this.pageBytes > PAGE_CACHE_BYTES) this.clearPages();
    this.pages.set(url, reply);
    this.pageBytes += reply.body.length;
  }

  private clearPages(): void {
    this.pages.clear();
    this.pageBytes = 0;
  }

  /**
   * A derived list memoized until the next mutation, so walking a large org page by page costs
   * one filter, not one per page. Bounded, since every incremental search brings a new key.
   */
  view<T>(key: string, build: () => T[]): T[] {
    let cached = this.views.get(key) as T[] | undefined;
    if (!cached) {
      if (this.views.size >= MAX_VIEWS) this.views.clear();
      cached = build();
      this.views.set(key, cached);
    }
    return cached;
  }

  sortedUsers(): SimUser[] {
    return this.view('users', () => [...this.data.users.values()].sort(byId));
  }

  sortedGroups(): SimGroup[] {
    return this.view('groups', () => [...this.data.groups.values()].sort(byId));
  }

  sortedApps(): SimApp[] {
    return this.view('apps', () => [...this.data.apps.values()].sort(byId));
  }

  /** Members of a group sorted by id, or undefined when the group does not exist. */
  groupMembers(groupId: string): SimUser[] | undefined {
    const members = this.data.members.get(groupId);
    if (!members) return undefined;
    return this.view(`members:${groupId}`, () => {
      const users: SimUser[] = [];
      for (const userId of members) {
        const user = this.data.users.get(userId);
        if (user) users.push(user);
      }
      return users.sort(byId);
    });
  }

  appUsers(appId: string): SimAppUser[] | undefined {
    const assigned = this.data.appUsers.get(appId);
    if (!assigned) return undefined;
    return this.view(`appUsers:${appId}`, () => [...assigned.values()].sort(byId));
  }

  /** Serialized JSON of an object, memoized by identity (objects are replaced, never edited). */
  serialize(object: object, build: () => unknown): string {
    let text = this.json.get(object);
    if (text === undefined) {
      text = JSON.stringify(build());
      this.json.set(object, text);
    }
    return text;
  }

  userJson(user: SimUser): string {
    let text = this.json.get(user);
    if (text === undefined) {
      // Appending `_links` to the stringified user avoids copying every user object once more.
      const plain = JSON.stringify(user);
      text = `${plain.slice(0, -1)},"_links":{"self":{"href":${JSON.stringify(`${this.baseUrl}/api/v1/users/${user.id}`)}}}}`;
      this.json.set(user, text);
    }
    return text;
  }
}

/** `[a,b,c]` from already serialized items. */
export function jsonArray(items: readonly string[]): Buffer {
  return Buffer.from(`[${items.join(',')}]`);
}
