import { createHash, randomBytes } from 'node:crypto';
import { ValidationError } from '../../shared/errors.js';
import type { TenantId } from '../../shared/ids.js';
import type { ConnectLinkRecord, SyncStore } from '../../shared/store/sync-store.js';

/** Link lifetime when the request names none: 7 days. */
export const DEFAULT_LINK_MINUTES = 7 * 24 * 60;
/** The longest a link may live: 30 days (a link is a credential-granting capability). */
export const MAX_LINK_MINUTES = 30 * 24 * 60;
/** Submissions one link accepts (each may cost the customer's org a token request and five reads). */
export const MAX_CONNECT_ATTEMPTS = 10;

/** 32 random bytes, base64url: what a link's URL carries. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export interface CreateLinkOptions {
  /** Default `DEFAULT_LINK_MINUTES`, at most `MAX_LINK_MINUTES`. */
  expiresInMinutes?: number;
  /** Where the page sends the customer afterwards; its origin must be in `returnAllow`. */
  returnUrl?: string;
}

export interface CreateLinkDeps {
  store: SyncStore;
  /** Base the link URL is built on (`OKTA_SYNC_PUBLIC_URL`, or the request's own origin). */
  baseUrl: string;
  /** `OKTA_SYNC_CONNECT_RETURN_ALLOW`: origins a `returnUrl` may point to. */
  returnAllow: readonly string[];
  now?: () => Date;
}

/** Makes a single-use link; only the token's hash is stored, so the URL returned is the only copy. */
export async function createConnectLink(
  deps: CreateLinkDeps,
  tenantId: TenantId,
  options: CreateLinkOptions,
): Promise<{ url: string; expiresAt: string }> {
  const minutes = options.expiresInMinutes ?? DEFAULT_LINK_MINUTES;
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > MAX_LINK_MINUTES) {
    throw new ValidationError('expiresInMinutes is out of range', { expiresInMinutes: `a whole number from 1 to ${MAX_LINK_MINUTES}` });
  }
  const returnUrl = options.returnUrl === undefined ? null : checkReturnUrl(options.returnUrl, deps.returnAllow);
  const now = (deps.now ?? (() => new Date()))();
  const token = randomBytes(32).toString('base64url');
  const link: ConnectLinkRecord = {
    tokenHash: hashToken(token),
    tenantId,
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + minutes * 60_000).toISOString(),
    returnUrl,
    formKey: randomBytes(32).toString('base64url'),
    attempts: 0,
    usedAt: null,
  };
  await deps.store.createConnectLink(link);
  return { url: `${deps.baseUrl.replace(/\/+$/, '')}/connect/${token}`, expiresAt: link.expiresAt };
}

/** Hex SHA-256 of a link token: the store key. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export type LinkState =
  | { state: 'open'; link: ConnectLinkRecord }
  | { state: 'used' | 'expired' | 'exhausted'; link: ConnectLinkRecord }
  | { state: 'unknown' };

/** What a token in a URL opens; a malformed token is `unknown` without a store read. */
export async function lookupLink(store: SyncStore, token: string, now: Date = new Date()): Promise<LinkState> {
  if (!TOKEN_PATTERN.test(token)) return { state: 'unknown' };
  const link = await store.getConnectLink(hashToken(token));
  if (!link) return { state: 'unknown' };
  if (link.usedAt !== null) return { state: 'used', link };
  if (Date.parse(link.expiresAt) <= now.getTime()) return { state: 'expired', link };
  if (link.attempts >= MAX_CONNECT_ATTEMPTS) return { state: 'exhausted', link };
  return { state: 'open', link };
}

/** A returnUrl is an absolute http(s) URL without userinfo whose origin is allow-listed. */
export function checkReturnUrl(value: string, allow: readonly string[]): string {
  const fail = (why: string): never => {
    throw new ValidationError(`returnUrl ${why}`, { returnUrl: why });
  };
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    fail('must be an absolute URL');
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) return fail('must be an http(s) URL');
  if (url.username || url.password) fail('must not carry a user or password');
  if (value.length > 2000) fail('must be at most 2000 characters');
  if (!allow.includes(url.origin)) fail(`origin ${url.origin} is not in OKTA_SYNC_CONNECT_RETURN_ALLOW`);
  return url.href;
}
