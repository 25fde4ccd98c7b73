import { randomUUID } from 'node:crypto';
import { type CryptoKey, type JWK, SignJWT, exportJWK, generateKeyPair, importPKCS8 } from 'jose';
import { request } from 'undici';
import type { SimOrgInfo } from '../../../src/okta-sim/index.js';

/** A plain HTTP answer: status, headers (repeated headers as arrays), body text. */
export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json<T = unknown>(): T;
}

export async function http(url: string, init: { method?: 'GET' | 'POST' | 'DELETE'; headers?: Record<string, string>; body?: string } = {}): Promise<HttpAnswer> {
  const res = await request(url, { method: init.method ?? 'GET', headers: init.headers ?? {}, body: init.body ?? null });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, json: <T>() => JSON.parse(text) as T };
}

export const header = (answer: HttpAnswer, name: string): string | undefined => {
  const value = answer.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
};

/** The `rel="next"` URL from Okta's Link headers, if any. */
export function nextLink(answer: HttpAnswer): string | undefined {
  const raw = answer.headers['link'];
  const links = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  for (const link of links) {
    const match = /^<([^>]+)>;\s*rel="next"$/.exec(link.trim());
    if (match) return match[1];
  }
  return undefined;
}

export const ALL_READ = 'okta.users.read okta.groups.read okta.apps.read okta.logs.read';

export function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

export function tokenRequest(org: SimOrgInfo, form: Record<string, string>, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  return http(`${org.baseUrl}/oauth2/v1/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...headers },
    body: new URLSearchParams(form).toString(),
  });
}

/** A Bearer token for the org's client_secret_basic client. */
export async function secretToken(org: SimOrgInfo, scope = ALL_READ): Promise<string> {
  const answer = await tokenRequest(org, { grant_type: 'client_credentials', scope }, { authorization: basic(org.clientId, org.clientSecret) });
  if (answer.status !== 200) throw new Error(`token request failed: ${answer.status} ${answer.text}`);
  return answer.json<{ access_token: string }>().access_token;
}

export interface AssertionOptions {
  clientId: string;
  pem: string;
  kid: string;
  alg: 'RS256' | 'ES256';
  aud?: string;
  iss?: string;
  expiresIn?: number;
  jti?: string;
  issuedAt?: number;
}

export async function clientAssertion(org: SimOrgInfo, o: AssertionOptions): Promise<string> {
  const key = await importPKCS8(o.pem, o.alg);
  const now = o.issuedAt ?? Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: o.alg, kid: o.kid })
    .setIssuer(o.iss ?? o.clientId)
    .setSubject(o.clientId)
    .setAudience(o.aud ?? `${org.baseUrl}/oauth2/v1/token`)
    .setIssuedAt(now)
    .setExpirationTime(now + (o.expiresIn ?? 300))
    .setJti(o.jti ?? randomUUID())
    .sign(key);
}

export function assertionForm(assertion: string, scope = ALL_READ): Record<string, string> {
  return {
    grant_type: 'client_credentials',
    scope,
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: assertion,
  };
}

export interface DpopKey {
  privateKey: CryptoKey;
  jwk: JWK;
}

export async function dpopKey(): Promise<DpopKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  return { privateKey, jwk: await exportJWK(publicKey) };
}

export async function dpopProof(key: DpopKey, claims: { htm: string; htu: string; nonce?: string; ath?: string; iat?: number; jti?: string }, typ = 'dpop+jwt'): Promise<string> {
  const { iat, jti, ...rest } = claims;
  return new SignJWT({ ...rest, jti: jti ?? randomUUID() })
    .setProtectedHeader({ typ, alg: 'ES256', jwk: key.jwk })
    .setIssuedAt(iat ?? Math.floor(Date.now() / 1000))
    .sign(key.privateKey);
}

export function apiGet(org: SimOrgInfo, pathOrUrl: string, token: string, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  const url = pathOrUrl.startsWith('http') ? pathOrUrl : `${org.baseUrl}${pathOrUrl}`;
  return http(url, { headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...headers } });
}

/** Follows `next` links until there are none, collecting every item. */
export async function listAll<T>(org: SimOrgInfo, path: string, token: string): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let url: string | undefined = `${org.baseUrl}${path}`;
  let pages = 0;
  while (url !== undefined) {
    const answer = await apiGet(org, url, token);
    if (answer.status !== 200) throw new Error(`${url}: ${answer.status} ${answer.text}`);
    items.push(...answer.json<T[]>());
    pages++;
    url = nextLink(answer);
  }
  return { items, pages };
}

export async function admin<T = unknown>(org: SimOrgInfo, path: string, body?: unknown): Promise<T> {
  const answer = await http(`${org.baseUrl}/__sim/${path}`, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (answer.status !== 200) throw new Error(`admin ${path}: ${answer.status} ${answer.text}`);
  return answer.json<T>();
}

export interface OktaErrorBody {
  errorCode: string;
  errorSummary: string;
  errorLink: string;
  errorId: string;
  errorCauses: { errorSummary: string }[];
}

/** `requestsByBucket` from a stats dump. */
export function bucketOf(stats: Record<string, unknown>): Record<string, Record<string, number>> {
  return stats['requestsByBucket'] as Record<string, Record<string, number>>;
}
