import type { JobType, Queue } from 'bullmq';
import { openSyncQueue } from './queue.js';
import { shardOf, shardPrefix } from './queue-shards.js';
import type { Redis } from './redis.js';

/** Minimal interface that enqueuers need from the shards: the queue of a tenant. */
export interface TenantQueues {
  forTenant(tenantId: string): Queue;
}

/**
 * The sync queues of a deployment, one per shard: the one place that opens the sync queue, so
 * every job kind (page, schedule, purge, events, …) lands in its tenant's shard.
 */
export class ShardedQueues implements TenantQueues {
  readonly queues: readonly Queue[];

  constructor(
    connection: Redis,
    readonly queuePrefix: string,
    readonly count: number,
  ) {
    this.queues = Array.from({ length: count }, (_, i) => openSyncQueue(connection, queuePrefix, i, count));
  }

  shardOf(tenantId: string): number {
    return shardOf(tenantId, this.count);
  }

  /** The queue a tenant's jobs and schedulers go to. */
  forTenant(tenantId: string): Queue {
    return this.queue(this.shardOf(tenantId));
  }

  /** The hash-tagged prefix of a tenant's keys (token cache, rate budget, idempotency, …). */
  prefixFor(tenantId: string): string {
    return this.prefixOf(this.shardOf(tenantId));
  }

  prefixOf(shard: number): string {
    return shardPrefix(this.queuePrefix, shard, this.count);
  }

  queue(shard: number): Queue {
    const queue = this.queues[shard];
    if (!queue) throw new RangeError(`no shard ${shard} (of ${this.count})`);
    return queue;
  }

  /** Job counts summed over every shard: the shape of `Queue.getJobCounts` (metrics, CLI). */
  async getJobCounts(...types: string[]): Promise<Record<string, number>> {
    const sum: Record<string, number> = {};
    for (const counts of await Promise.all(this.queues.map((q) => q.getJobCounts(...(types as JobType[]))))) {
      for (const [state, n] of Object.entries(counts)) sum[state] = (sum[state] ?? 0) + n;
    }
    return sum;
  }

  async close(): Promise<void> {
    await Promise.all(this.queues.map((q) => q.close()));
  }
}

/** Opens the sync queues of `count` shards on one connection (single Redis, Sentinel or Cluster). */
export function openSyncQueues(connection: Redis, queuePrefix: string, count: number): ShardedQueues {
  return new ShardedQueues(connection, queuePrefix, count);
}
