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
