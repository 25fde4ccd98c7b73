/**
 * Glossary of the simulator.
 * - org: one simulated Okta org, served on its own port (`127.0.0.1:PORT` is its domain).
 * - bucket: an Okta rate-limit bucket; every request to an org spends from exactly one.
 * - window: a fixed rate-limit window per bucket that starts at the first request after the
 *   previous one ended, so windows are not aligned to wall-clock minutes (as in Okta).
 * - truth: the org's ground-truth data, for tests to compare a sync against.
 */

/**
 * Rate-limit buckets of one org, named after the rows of Okta's management rate-limit table
 * (`bucket-table.ts` maps URLs to them). `other` is every `/api/v1` route without a row of its own.
 */
export const BUCKETS = ['users', 'user_by_id', 'groups', 'group_by_id', 'apps', 'app_by_id', 'logs', 'other', 'token'] as const;
export type Bucket = (typeof BUCKETS)[number];

/** Requests allowed per window, per bucket. */
export type RateLimitConfig = Record<Bucket, number>;

export const RATE_PRESET_NAMES = ['enterprise', 'free', 'unlimited'] as const;
export type RatePresetName = (typeof RATE_PRESET_NAMES)[number];

/** Faults injected into `/api/v1` responses (and the token endpoint where noted). */
export interface FaultSpec {
  /** Added latency before every response, uniform in [min, max] ms. Default none. */
  latencyMs?: { min: number; max: number };
  /** Share of API requests answered 503 E0000010 or 500 E0000009. Default 0. */
  error5xx?: number;
  /** Share of API requests whose connection is destroyed without an answer. Default 0. */
  reset?: number;
  /** Pages requested with an effective `limit` above this are answered 500 E0000009. Default none. */
  bigPage500?: number;
  /** Share of 200 answers whose JSON body is cut in half. Default 0. */
  malformed?: number;
  /** Share of 200 answers whose body trickles out over `slowBodyMs`. Default 0. */
  slowBody?: number;
  /** How long a slow body takes, in ms. Default 1000. */
  slowBodyMs?: number;
  /** Share of token requests answered 503 temporarily_unavailable. Default 0. */
  tokenError?: number;
  /**
   * One in every N DPoP-bound API calls has its (valid) proof refused with `400 invalid_dpop_proof`,
   * as Okta does with a proof it finds stale. Default none.
   */
  dpopRefuse?: number;
  /** Share of Event Hook deliveries Okta sends a second time, a moment later. Default 0.1. */
  hookDuplicate?: number;
  /** Share of Event Hook deliveries held back (their events reversed) so later ones overtake them. Default 0.1. */
  hookReorder?: number;
}

export interface OktaSimOptions {
  /** Number of orgs, each on its own port. Default 1. */
  orgs?: number;
  /** Users per org (a few % DEPROVISIONED, some STAGED/SUSPENDED). Default 200. */
  users?: number;
  /** Groups per org, the first being the BUILT_IN Everyone group. Default 20. */
  groups?: number;
  /** Apps per org. Default 5. */
  apps?: number;
  /** System Log events per org at start. Default 100. */
  logs?: number;
  /** Data is deterministic per (seed, org index). Default 1. */
  seed?: number;
  /** Access token lifetime. Default 3600. */
  tokenTtlSeconds?: number;
  /** Artificial latency on `/oauth2/v1/token`. Default 0. */
  tokenDelayMs?: number;
  /**
   * Per-bucket limits per window: a preset, or numbers (buckets left out keep the enterprise
   * value; the CLI reads them from a JSON file). Default 'enterprise'.
   */
  rateLimits?: RatePresetName | Partial<RateLimitConfig>;
  /** Rate-limit window length; tests use short windows. Default 60. */
  rateWindowSeconds?: number;
  /** Requests in flight per org before a concurrency 429. Default 75 (35 with the 'free' preset). */
  concurrencyLimit?: number;
  /**
   * DPoP-bound API calls must carry a resource-server nonce: without one (or with a stale one) the
   * answer is `401` `DPoP error="use_dpop_nonce"` with a `DPoP-Nonce` header. Default false.
   */
  dpopApiNonce?: boolean;
  /**
   * Realistic payload variety (sign-on modes with their credentials/settings, APP_GROUP groups,
   * unicode and ≥ 50 KB profiles, externalId on some assignments, multi-target and failed log
   * events). Seeded; ids and counts do not change. Default false here; the `okta-sim` command
   * (demo, benches) turns it on unless `--no-payload-variety`.
   */
  payloadVariety?: boolean;
  /** Users `search`/`filter` see a change only this long after it (eventual consistency). Default 0. */
  searchLagMs?: number;
  /** Faults, as a spec string ("latency=5-50,error5xx=0.05,...") or an object. Default none. */
  faults?: string | FaultSpec;
  /**
   * Median latency of every `/api/v1` answer in ms, log-normal with p99 ≈ 4× the median, drawn per
   * request from a stream seeded by `seed` (so runs repeat). Counts as in flight. Default 0.
   */
  latencyMs?: number;
  /** Interface to listen on. Default '127.0.0.1'. */
  host?: string;
  /** First org's port, the next org on basePort+1 and so on; 0 = a free port each. Default 0. */
  basePort?: number;
}

export interface SimOrgInfo {
  name: string;
  /** `127.0.0.1:PORT`, what a tenant registers as its Okta domain. */
  domain: string;
  /** `http://127.0.0.1:PORT` */
  baseUrl: string;
  port: number;
  /** A client using client_secret_basic. */
  clientId: string;
  clientSecret: string;
  /** A client using private_key_jwt with an RS256 key. */
  privateKeyClientId: string;
  privateKeyPem: string;
  keyId: string;
  /** A client using private_key_jwt with an ES256 (P-256) key. */
  esClientId: string;
  esPrivateKeyPem: string;
  esKeyId: string;
  /** A client_secret_basic client that must use DPoP. */
  dpopClientId: string;
  dpopClientSecret: string;
  /** Scopes granted to every client unless changed through `/__sim/clients`. */
  grantedScopes: string[];
}

/** Options after defaults, for one org. */
export interface ResolvedOrgOptions {
  index: number;
  users: number;
  groups: number;
  apps: number;
  logs: number;
  seed: number;
  tokenTtlSeconds: number;
  tokenDelayMs: number;
  rateLimits: RateLimitConfig;
  rateWindowMs: number;
  concurrencyLimit: number;
  faults: FaultSpec;
  dpopApiNonce: boolean;
  payloadVariety: boolean;
  searchLagMs: number;
  latencyMs: number;
  host: string;
  port: number;
}

export const DEFAULT_GRANTED_SCOPES = [
  'okta.users.read',
  'okta.groups.read',
  'okta.apps.read',
  'okta.logs.read',
] as const;
