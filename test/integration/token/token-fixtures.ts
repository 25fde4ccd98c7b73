import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import type { SimOrgInfo } from '../../../src/okta-sim/index.js';
import { generateKeySpec, type Keyring, parseKeyring } from '../../../src/shared/crypto.js';
import { asTenantId } from '../../../src/shared/ids.js';
import type { OktaCredentials } from '../../../src/shared/okta/okta-credentials.js';
import { createOktaHttp, type OktaHttp } from '../../../src/shared/okta/okta-http.js';
import { type TokenEvent, type TokenProvider, type TokenServiceOptions, createTokenService } from '../../../src/shared/okta/token-service.js';
import { createRedis, type Redis } from '../../../src/shared/redis.js';

export const USERS = 'okta.users.read';
export const GROUPS = 'okta.groups.read';
export const ALL_GRANTED = ['okta.apps.read', 'okta.groups.read', 'okta.logs.read', 'okta.users.read'];

export type ClientKind = 'secret' | 'rs256' | 'es256' | 'dpop';

/** Credentials for one of the simulated org's service apps, as the worker would decrypt them. */
export function credsFor(org: SimOrgInfo, kind: ClientKind, tenantId = 't1', grantedScopes: readonly string[] = ALL_GRANTED): OktaCredentials {
  const base = { tenantId: asTenantId(tenantId), origin: org.baseUrl, grantedScopes, dpop: false };
  switch (kind) {
    case 'secret':
      return { ...base, clientId: org.clientId, method: 'client_secret', secret: org.clientSecret };
    case 'dpop':
      return { ...base, clientId: org.dpopClientId, method: 'client_secret', secret: org.dpopClientSecret, dpop: true };
    case 'rs256':
      return { ...base, clientId: org.privateKeyClientId, method: 'private_key_jwt', secret: org.privateKeyPem, keyId: org.keyId };
    case 'es256':
      return { ...base, clientId: org.esClientId, method: 'private_key_jwt', secret: org.esPrivateKeyPem, keyId: org.esKeyId };
  }
}

export interface SimTokenStats {
  tokenRequests: { total: number; byClient: Record<string, number>; byScopes: Record<string, number> };
  tokensIssued: { total: number };
  requestsByBucket: Record<string, Record<string, number>>;
  foreignTokens: number;
}

export async function simStats(org: SimOrgInfo): Promise<SimTokenStats> {
  return (await (await fetch(`${org.baseUrl}/__sim/stats`)).json()) as SimTokenStats;
}

export async function simAdmin(org: SimOrgInfo, path: string, body: unknown = {}): Promise<void> {
  const res = await fetch(`${org.baseUrl}/__sim/${path}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  if (res.status !== 200) throw new Error(`sim ${path}: ${res.status} ${await res.text()}`);
}

/**
 * N token services that share Redis as N worker processes would: each with its own HTTP pool,
 * Redis connection and L1; all under one fresh queue prefix and keyring.
 */
export class Cluster {
  readonly queuePrefix = `t-token-${randomBytes(4).toString('hex')}`;
  readonly keyring: Keyring = parseKeyring(generateKeySpec('test'));
  readonly events: TokenEvent[] = [];
  readonly services: TokenProvider[] = [];
  readonly redis: Redis = createRedis(inject('redisUrl'));
  private readonly closers: (() => Promise<unknown>)[] = [];

  add(options: TokenServiceOptions = {}, shared = true): TokenProvider {
    const http: OktaHttp = createOktaHttp();
    const redis = createRedis(inject('redisUrl'));
    this.closers.push(() => http.close(), () => redis.quit());
    const service = createTokenService(http, {
      ...(shared ? { shared: { redis, keyring: this.keyring, queuePrefix: this.queuePrefix } } : {}),
      onEvent: (e) => this.events.push(e),
      ...options,
    });
    this.services.push(service);
    return service;
  }

  addMany(n: number, options: TokenServiceOptions = {}): TokenProvider[] {
    return Array.from({ length: n }, () => this.add(options));
  }

  async close(): Promise<void> {
    await Promise.all(this.closers.map((c) => c().catch(() => undefined)));
    const keys = await this.redis.keys(`{${this.queuePrefix}}:*`);
    if (keys.length > 0) await this.redis.del(...keys);
    await this.redis.quit();
  }
}

export function tokenKey(cluster: Cluster, tenantId: string, scope: string): string {
  return `{${cluster.queuePrefix}}:token:${tenantId}:${scope}`;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
