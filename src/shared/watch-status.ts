import { type Redis, keyPrefix } from './redis.js';

/**
 * What the workers remember of a tenant's System Log watch, for `tenant show` and
 * `GET /v1/tenants/{id}`: one small Redis hash per tenant, written by every poll and refresh.
 */
export interface WatchStatus {
  /** When the last poll read the log (ISO), or null before the first. */
  lastPollAt: string | null;
  /** Events the last poll read. */
  lastPollEvents: number;
  /** Why the last poll read nothing, if it was skipped (`logs_run_active`, `rate_limited`…). */
  lastPollSkipped: string | null;
  /** Seconds from an event's `published` to the store write of its refresh, for the last refresh. */
  lastLagSeconds: number | null;
  /** When that refresh was written (ISO). */
  lastRefreshAt: string | null;
}

/** The status hash of a tenant's watch; the ordering guard of its membership changes lives under it (`…:order`). */
export function watchStatusKey(queuePrefix: string, tenantId: string): string {
  return `${keyPrefix(queuePrefix)}:watch:${tenantId}`;
}

/** The status outlives a watch turned off by this long, then expires (seconds). */
const STATUS_TTL_S = 7 * 86_400;

export async function recordPoll(redis: Redis, queuePrefix: string, tenantId: string, poll: { at: string; events: number; skipped?: string }): Promise<void> {
  const key = watchStatusKey(queuePrefix, tenantId);
  await redis
    .multi()
    .hset(key, { lastPollAt: poll.at, lastPollEvents: String(poll.events), lastPollSkipped: poll.skipped ?? '' })
    .expire(key, STATUS_TTL_S)
    .exec();
}

export async function recordRefreshLag(redis: Redis, queuePrefix: string, tenantId: string, lagSeconds: number, at: string): Promise<void> {
  const key = watchStatusKey(queuePrefix, tenantId);
  await redis.multi().hset(key, { lastLagSeconds: lagSeconds.toFixed(3), lastRefreshAt: at }).expire(key, STATUS_TTL_S).exec();
}

export async function readWatchStatus(redis: Redis, queuePrefix: string, tenantId: string): Promise<WatchStatus> {
  const h = await redis.hgetall(watchStatusKey(queuePrefix, tenantId));
  const lag = Number(h.lastLagSeconds);
  return {
    lastPollAt: h.lastPollAt || null,
    lastPollEvents: Number(h.lastPollEvents ?? 0) || 0,
    lastPollSkipped: h.lastPollSkipped || null,
    lastLagSeconds: h.lastLagSeconds !== undefined && Number.isFinite(lag) ? lag : null,
    lastRefreshAt: h.lastRefreshAt || null,
  };
}
