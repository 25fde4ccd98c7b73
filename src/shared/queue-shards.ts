import { createHash } from 'node:crypto';
import { keyPrefix } from './redis.js';

/**
 * Glossary of queue shards (DESIGN.md "Redis keys and queues").
 * - shard: one sync queue with its own hash tag, i.e. one Redis Cluster slot and so one master.
 *   `OKTA_SYNC_QUEUE_SHARDS=N` makes N of them; a tenant's jobs and keys live in exactly one.
 * - shard prefix: the hash-tagged prefix of a shard's keys. With N = 1 it is today's `{prefix}`
 *   (a deployment that never set the variable keeps its keys); with N > 1, `{prefix-0}` …
 *   `{prefix-N-1}`. Global keys (shard count, browser sessions, the webhook queue) stay in `{prefix}`.
 */

/** Most shards a deployment may ask for: far more masters than anyone runs one service on. */
export const MAX_QUEUE_SHARDS = 256;

/**
 * The shard of a tenant: the first 32 bits of SHA-256 of its id, modulo the shard count. Stable
 * across processes, Node versions and restarts (never `Math.random` or insertion order).
 */
export function shardOf(tenantId: string, count: number): number {
  if (count <= 1) return 0;
  return createHash('sha256').update(tenantId).digest().readUInt32BE(0) % count;
}

/** The hash-tagged prefix of one shard's keys (see the glossary: N = 1 keeps `{prefix}`). */
export function shardPrefix(queuePrefix: string, shard: number, count: number): string {
  return count <= 1 ? keyPrefix(queuePrefix) : keyPrefix(`${queuePrefix}-${shard}`);
}
