import type { SimUser } from './org-model.js';
import { type Reply, oktaError } from './reply.js';

/**
 * `sortBy`/`sortOrder` of a users `search` (Okta sorts search results only; a plain list or
 * `filter` stays in id order and ignores them). Ties break by id, so the order is total and the
 * `after` cursor, which is the sort key of the page's last user, resumes exactly there.
 */
export interface UserSort {
  /** Cache key part: '' for the default id order. */
  key: string;
  /** Ascending sort key: the cursor compares these. */
  cursorKey(user: SimUser): string;
}

const SORTABLE = new Set(['id', 'created', 'activated', 'statusChanged', 'lastUpdated', 'lastLogin', 'passwordChanged', 'status', 'profile.login', 'profile.email', 'profile.firstName', 'profile.lastName']);
/** Reverses string order: each code unit complemented, a high terminator so a prefix sorts after. */
function flip(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) out += String.fromCharCode(0xfffe - text.charCodeAt(i));
  return out;
}

const byId: UserSort = { key: '', cursorKey: (user) => user.id };

function readAttr(user: SimUser, attribute: string): string {
  if (attribute.startsWith('profile.')) return user.profile[attribute.slice(8)] ?? '';
  const value = (user as unknown as Record<string, unknown>)[attribute];
  return typeof value === 'string' ? value : '';
}

/** The order a users request asks for, or a 400 reply for a bad `sortBy`/`sortOrder`. */
export function userSortOf(params: URLSearchParams): UserSort | Reply {
  const sortBy = params.get('sortBy');
  const order = params.get('sortOrder') ?? 'asc';
  if (params.get('search') === null || sortBy === null) return byId;
  if (!SORTABLE.has(sortBy)) return oktaError(400, 'E0000031', `Invalid search: sortBy ${sortBy} is not supported`);
  if (order !== 'asc' && order !== 'desc') return oktaError(400, 'E0000001', 'sortOrder: must be asc or desc');
  const cursorKey = (user: SimUser): string => {
    const raw = readAttr(user, sortBy);
    return order === 'asc' ? `${raw}\u0000${user.id}` : `${flip(raw)}\uffff${user.id}`;
  };
  return { key: `&sortBy=${sortBy}&sortOrder=${order}`, cursorKey };
}

/** `users` in the order `sort` gives (a new array; the cached id-ordered view stays as it is). */
export function sortUsers(users: SimUser[], sort: UserSort): SimUser[] {
  if (sort.key === '') return users;
  const keyed = users.map((user) => ({ user, key: sort.cursorKey(user) }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return keyed.map((k) => k.user);
}

/**
 * The users a search can match when it is a plain `and` of clauses including `created ge "A"`
 * and/or `created lt "B"` (how a partitioned sync lists ranges): a slice of the users sorted by
 * `created`, found by binary search, in id order. Every match is in it (the full predicate still
 * decides); without such bounds, all users. Keeps a range search from scanning the whole org.
 */
export function createdCandidates(expression: string, byCreated: () => SimUser[], all: () => SimUser[]): SimUser[] {
  if (/\bor\b|[()]/i.test(expression)) return all();
  const ge = /\bcreated\s+ge\s+"([^"]+)"/i.exec(expression)?.[1];
  const lt = /\bcreated\s+lt\s+"([^"]+)"/i.exec(expression)?.[1];
  const geMs = ge === undefined ? Number.NaN : Date.parse(ge);
  const ltMs = lt === undefined ? Number.NaN : Date.parse(lt);
  if (Number.isNaN(geMs) && Number.isNaN(ltMs)) return all();
  const sorted = byCreated();
  const lo = Number.isNaN(geMs) ? 0 : firstAtOrAfter(sorted, geMs);
  const hi = Number.isNaN(ltMs) ? sorted.length : firstAtOrAfter(sorted, ltMs);
  return sorted.slice(lo, Math.max(lo, hi)).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function firstAtOrAfter(sorted: SimUser[], ms: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (Date.parse((sorted[mid] as SimUser).created) < ms) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
