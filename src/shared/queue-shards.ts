import { createHash } from 'node:crypto';
import { CLUSTER_SLOTS, clusterSlot } from './cluster-slot.js';
import { keyPrefix } from './redis.js';

/**
 * Glossary of queue shards (DESIGN.md "Redis keys and queues").
 * - shard: one sync queue with its own hash tag, i.e. one Redis Cluster slot and so one master.
 *   `OKTA_SYNC_QUEUE_SHARDS=N` makes N of them; a tenant's jobs and keys live in exactly one.
 * - shard prefix: the hash-tagged prefix of a shard's keys. With N = 1 it is today's `{prefix}`
 *   (a deployment that never set the variable keeps its keys); with N > 1, shard i's tag is
 *   `{prefix-i}` or, when that tag's slot lies outside the i-th N-th of the slot space,
 *   `{prefix-i.k}` with the smallest k whose slot lies inside it. A cluster created with its slots
 *   in equal ranges (`redis-cli --cluster create`) then holds the shards evenly: N = masters puts
 *   one shard on each. Global keys (shard count, browser sessions, the webhook queue) stay in `{prefix}`.
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
  return count <= 1 ? keyPrefix(queuePrefix) : keyPrefix(shardTag(queuePrefix, shard, count));
}

const tags = new Map<string, string>();

/** Shard `shard`'s tag text: the first of `prefix-i`, `prefix-i.1`, `prefix-i.2`… whose slot is in its N-th. */
export function shardTag(queuePrefix: string, shard: number, count: number): string {
  const key = `${queuePrefix}\0${shard}\0${count}`;
  const known = tags.get(key);
  if (known !== undefined) return known;
  const from = Math.floor((shard * CLUSTER_SLOTS) / count);
  const to = Math.floor(((shard + 1) * CLUSTER_SLOTS) / count);
  // About N tries on average (each tag lands in the range with probability 1/N); bounded all the same.
  for (let k = 0; k < 1_000_000; k++) {
    const tag = k === 0 ? `${queuePrefix}-${shard}` : `${queuePrefix}-${shard}.${k}`;
    const slot = clusterSlot(tag);
    if (slot >= from && slot < to) {
      tags.set(key, tag);
      return tag;
    }
  }
  throw new RangeError(`no hash tag for shard ${shard} of ${count} under ${queuePrefix}`);
}
