import type { WindowRecord } from './rate-limiter.js';
import type { Bucket } from './types.js';

type Counter = Record<string, number>;

/** `GET /__sim/stats` and `SimOrg.stats()`. */
export interface SimStatsSnapshot {
  /** Every request to the token endpoint, by client id (`(unknown)` when unauthenticated) and by sorted scope set. */
  tokenRequests: { total: number; byClient: Counter; byScopes: Counter };
  tokensIssued: { total: number; byClient: Counter };
  /** Requests to /api/v1 (the token endpoint excluded). */
  apiRequests: number;
  /** bucket → HTTP status → count; status 0 = connection reset by a fault. */
  requestsByBucket: Partial<Record<Bucket, Counter>>;
  /** 429 E0000047 answers for a spent bucket. */
  rateLimited: number;
  /** 429 answers for the concurrency limit. */
  concurrencyRejected: number;
  inFlight: number;
  maxInFlight: number;
  /** Tokens presented that this org never issued. */
  foreignTokens: number;
  /** Injected faults by kind. */
  faults: Counter;
  /** Rate-limit windows per bucket, oldest first, the open one last. */
  windows: Record<Bucket, WindowRecord[]>;
}

const bump = (counter: Counter, key: string, by = 1): void => {
  counter[key] = (counter[key] ?? 0) + by;
};

/** Introspection counters of one org, as `GET /__sim/stats` reports them. */
export class SimStats {
  tokenRequests = 0;
  tokenRequestsByClient: Counter = {};
  tokenRequestsByScopes: Counter = {};
  tokensIssued = 0;
  tokensIssuedByClient: Counter = {};
  apiRequests = 0;
  /** bucket → HTTP status → count */
  requestsByBucket: Partial<Record<Bucket, Counter>> = {};
  rateLimited = 0;
  concurrencyRejected = 0;
  inFlight = 0;
  maxInFlight = 0;
  foreignTokens = 0;
  faults: Counter = {};

  tokenRequest(clientId: string | undefined, scopes: string, issued: boolean): void {
    this.tokenRequests++;
    bump(this.tokenRequestsByClient, clientId ?? '(unknown)');
    bump(this.tokenRequestsByScopes, scopes);
    if (issued) {
      this.tokensIssued++;
      bump(this.tokensIssuedByClient, clientId ?? '(unknown)');
    }
  }

  response(bucket: Bucket, status: number): void {
    if (bucket !== 'token') this.apiRequests++;
    const byStatus = this.requestsByBucket[bucket] ?? {};
    bump(byStatus, String(status));
    this.requestsByBucket[bucket] = byStatus;
  }

  fault(kind: string): void {
    bump(this.faults, kind);
  }

  enter(): number {
    this.inFlight++;
    if (this.inFlight > this.maxInFlight) this.maxInFlight = this.inFlight;
    return this.inFlight;
  }

  leave(): void {
    this.inFlight--;
  }

  reset(): void {
    const inFlight = this.inFlight;
    Object.assign(this, new SimStats());
    this.inFlight = inFlight;
    this.maxInFlight = inFlight;
  }

  snapshot(windows: Record<Bucket, WindowRecord[]>): SimStatsSnapshot {
    return {
      tokenRequests: { total: this.tokenRequests, byClient: this.tokenRequestsByClient, byScopes: this.tokenRequestsByScopes },
      tokensIssued: { total: this.tokensIssued, byClient: this.tokensIssuedByClient },
      apiRequests: this.apiRequests,
      requestsByBucket: this.requestsByBucket,
      rateLimited: this.rateLimited,
      concurrencyRejected: this.concurrencyRejected,
      inFlight: this.inFlight,
      maxInFlight: this.maxInFlight,
      foreignTokens: this.foreignTokens,
      faults: this.faults,
      windows,
    };
  }
}
