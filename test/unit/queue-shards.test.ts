import { describe, expect, it } from 'vitest';
import { readConfig } from '../../src/shared/config.js';
import { ConfigError } from '../../src/shared/errors.js';
import { MAX_QUEUE_SHARDS, shardOf, shardPrefix } from '../../src/shared/queue-shards.js';

describe('shardOf', () => {
  it('is pinned: the same tenant maps to the same shard in every process and release', () => {
    // Changing the hash moves every tenant (and strands its pending jobs): these values must not change.
    expect(['acme', 't0', 't1', 'tenant-42', 'c0', 'c1', 'c2'].map((t) => shardOf(t, 3))).toEqual([1, 0, 2, 0, 2, 0, 2]);
    expect(['acme', 't0', 't1', 'tenant-42', 'c0', 'c1', 'c2'].map((t) => shardOf(t, 8))).toEqual([5, 5, 1, 1, 0, 2, 1]);
  });

  it('is 0 for one shard, and always in range', () => {
    for (let i = 0; i < 200; i++) {
      expect(shardOf(`t${i}`, 1)).toBe(0);
      const s = shardOf(`t${i}`, 7);
      expect(Number.isInteger(s) && s >= 0 && s < 7).toBe(true);
    }
  });

  it.each([2, 3, 8, 16])('spreads 12000 tenants evenly over %i shards (each within 10%% of its share)', (count) => {
    const sizes = new Array<number>(count).fill(0);
    for (let i = 0; i < 12_000; i++) sizes[shardOf(`tenant-${i}`, count)] = (sizes[shardOf(`tenant-${i}`, count)] ?? 0) + 1;
    const share = 12_000 / count;
    for (const n of sizes) expect(Math.abs(n - share) / share).toBeLessThan(0.1);
  });
});

describe('shardPrefix', () => {
  it('keeps the unsharded {prefix} layout for one shard and tags each shard apart otherwise', () => {
    expect(shardPrefix('okta-sync', 0, 1)).toBe('{okta-sync}');
    expect([0, 1, 2].map((i) => shardPrefix('okta-sync', i, 3))).toEqual(['{okta-sync-0}', '{okta-sync-1}', '{okta-sync-2}']);
  });
});

describe('OKTA_SYNC_QUEUE_SHARDS and WORKER_SHARDS', () => {
  it('default to one shard, consumed whole', () => {
    expect(readConfig({})).toMatchObject({ queueShards: 1, workerShards: undefined });
  });

  it('read a shard count and the shards a worker consumes (sorted, once each)', () => {
    expect(readConfig({ OKTA_SYNC_QUEUE_SHARDS: '4', WORKER_SHARDS: '3, 0,3' })).toMatchObject({ queueShards: 4, workerShards: [0, 3] });
  });

  it.each([
    ['OKTA_SYNC_QUEUE_SHARDS', { OKTA_SYNC_QUEUE_SHARDS: '0' }],
    ['OKTA_SYNC_QUEUE_SHARDS', { OKTA_SYNC_QUEUE_SHARDS: '2.5' }],
    ['OKTA_SYNC_QUEUE_SHARDS', { OKTA_SYNC_QUEUE_SHARDS: 'three' }],
    ['OKTA_SYNC_QUEUE_SHARDS', { OKTA_SYNC_QUEUE_SHARDS: String(MAX_QUEUE_SHARDS + 1) }],
    ['WORKER_SHARDS', { OKTA_SYNC_QUEUE_SHARDS: '3', WORKER_SHARDS: '3' }],
    ['WORKER_SHARDS', { OKTA_SYNC_QUEUE_SHARDS: '3', WORKER_SHARDS: '0,x' }],
    ['WORKER_SHARDS', { OKTA_SYNC_QUEUE_SHARDS: '3', WORKER_SHARDS: '-1' }],
    ['WORKER_SHARDS', { OKTA_SYNC_QUEUE_SHARDS: '3', WORKER_SHARDS: '1.0' }],
    ['WORKER_SHARDS', { WORKER_SHARDS: '1' }],
    ['WORKER_SHARDS', { WORKER_SHARDS: ',' }],
  ])('rejects a bad %s naming it, in one line', (variable, env) => {
    let error: unknown;
    try {
      readConfig(env);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(variable);
    expect((error as Error).message).not.toContain('\n');
  });
});
