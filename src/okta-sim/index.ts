/**
 * A local simulator of Okta orgs, for tests, the demo and benchmarks. It is a reading of Okta's
 * documentation independent of the product's client code (it imports nothing from src/shared,
 * src/producer or src/workers), so it can catch that client's mistakes.
 *
 * Each org listens on its own port and serves:
 * - `POST /oauth2/v1/token`: client_credentials with client_secret_basic or private_key_jwt,
 *   optional DPoP (per client), Okta's OAuth errors.
 * - `GET /api/v1/users[/{id}]`, `/api/v1/groups[/{id}[/users]]`, `/api/v1/apps[/{id}[/users]]`,
 *   `/api/v1/logs`: pagination by `Link` headers, filters, scopes, rate limits, faults.
 * - `/api/v1/eventHooks[/{id}[/lifecycle/verify|activate|deactivate]]`: Event Hooks, with the
 *   verification handshake and deliveries of every subscribed System Log event a mutation writes
 *   (at least once; duplicates and reordering by the `hookDuplicate`/`hookReorder` faults).
 * - `/__sim/` (loopback, no auth): `GET stats | truth | faults | event-hooks`; `POST mutate | faults | revoke |
 *   reset-stats | clients | dpop-nonce/rotate`.
 */
import { normalizeFaultSpec } from './faults.js';
import { RATE_PRESETS } from './rate-limiter.js';
import { SimOrg } from './sim-org.js';
import { BUCKETS, type OktaSimOptions, type RateLimitConfig, type ResolvedOrgOptions, type SimOrgInfo } from './types.js';

export type { FaultSpec, OktaSimOptions, RateLimitConfig, RatePresetName, SimOrgInfo, Bucket } from './types.js';
export type { OrgTruth } from './truth.js';
export type { SimStatsSnapshot } from './stats.js';
export type { WindowRecord } from './rate-limiter.js';
export type { Mutation, MutationResult } from './org-mutations.js';
export type { HookDeliveryRecord } from './hook-delivery.js';
export { HOOK_ELIGIBLE_TYPES } from './event-hooks.js';
export { SimOrg } from './sim-org.js';
export { RATE_PRESETS } from './rate-limiter.js';
export { parseFaultSpec, FaultSpecError } from './faults.js';

export interface OktaSim {
  orgs: SimOrgInfo[];
  /** Direct handle for tests: mutations, stats, truth, faults. */
  org(i: number): SimOrg;
  close(): Promise<void>;
}

export class OktaSimOptionsError extends Error {
  override readonly name = 'OktaSimOptionsError';
}

function count(name: string, value: number | undefined, fallback: number, min = 0): number {
  const resolved = value ?? fallback;
  if (!Number.isInteger(resolved) || resolved < min) throw new OktaSimOptionsError(`${name} must be an integer >= ${min}, got ${resolved}`);
  return resolved;
}

function resolveRateLimits(value: OktaSimOptions['rateLimits']): RateLimitConfig {
  if (value === undefined) return RATE_PRESETS.enterprise;
  if (typeof value === 'string') {
    const preset = RATE_PRESETS[value];
    if (!preset) throw new OktaSimOptionsError(`unknown rate-limit preset "${value}"`);
    return preset;
  }
  const limits = { ...RATE_PRESETS.enterprise };
  for (const bucket of BUCKETS) {
    const limit = value[bucket];
    if (limit !== undefined) limits[bucket] = count(`rateLimits.${bucket}`, limit, 0);
  }
  return limits;
}

/** Applies every default and checks every value, once for all orgs. */
export function resolveOptions(opts: OktaSimOptions): Omit<ResolvedOrgOptions, 'index' | 'port'> & { orgs: number; basePort: number } {
  const free = opts.rateLimits === 'free';
  const rateWindowSeconds = opts.rateWindowSeconds ?? 60;
  if (!(rateWindowSeconds > 0)) throw new OktaSimOptionsError(`rateWindowSeconds must be positive, got ${rateWindowSeconds}`);
  return {
    orgs: count('orgs', opts.orgs, 1, 1),
    users: count('users', opts.users, 200),
    groups: count('groups', opts.groups, 20),
    apps: count('apps', opts.apps, 5),
    logs: count('logs', opts.logs, 100),
    seed: count('seed', opts.seed, 1),
    tokenTtlSeconds: count('tokenTtlSeconds', opts.tokenTtlSeconds, 3600, 1),
    tokenDelayMs: count('tokenDelayMs', opts.tokenDelayMs, 0),
    rateLimits: resolveRateLimits(opts.rateLimits),
    rateWindowMs: Math.round(rateWindowSeconds * 1000),
    concurrencyLimit: count('concurrencyLimit', opts.concurrencyLimit, free ? 35 : 75, 1),
    faults: normalizeFaultSpec(opts.faults),
    dpopApiNonce: opts.dpopApiNonce ?? false,
    payloadVariety: opts.payloadVariety ?? false,
    searchLagMs: count('searchLagMs', opts.searchLagMs, 0),
    latencyMs: count('latencyMs', opts.latencyMs, 0),
    host: opts.host ?? '127.0.0.1',
    basePort: count('basePort', opts.basePort, 0),
  };
}

/** Starts `orgs` simulated Okta orgs, each on its own port with its own seeded data. */
export async function startOktaSim(opts: OktaSimOptions = {}): Promise<OktaSim> {
  const { orgs: orgCount, basePort, ...shared } = resolveOptions(opts);
  const started: SimOrg[] = [];
  try {
    // Key generation dominates start-up, so orgs start in parallel; org i listens on basePort + i.
    const starting = Array.from({ length: orgCount }, (_, index) => SimOrg.start({ ...shared, index, port: basePort === 0 ? 0 : basePort + index }));
    const results = await Promise.allSettled(starting);
    for (const result of results) if (result.status === 'fulfilled') started.push(result.value);
    const failed = results.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
  } catch (error) {
    await Promise.all(started.map((org) => org.close()));
    throw error;
  }
  return {
    orgs: started.map((org) => org.info),
    org(i: number): SimOrg {
      const org = started[i];
      if (!org) throw new RangeError(`no org ${i}; there are ${started.length}`);
      return org;
    },
    async close(): Promise<void> {
      await Promise.all(started.map((org) => org.close()));
    },
  };
}
