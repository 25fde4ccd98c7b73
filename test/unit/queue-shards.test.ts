import { describe, expect, it } from 'vitest';
import { readConfig } from '../../src/shared/config.js';
import { ConfigError } from '../../src/shared/errors.js';
import { clusterSlot } from '../../src/shared/cluster-slot.js';
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

describe('clusterSlot', () => {
  it('is Redis Cluster\'s CRC16-XMODEM mod 16384', () => {
    // The cluster spec's examples and the CRC's check value (0x31C3 for "123456789").
    expect(clusterSlot('foo')).toBe(12182);
    expect(clusterSlot('bar')).toBe(5061);
    expect(clusterSlot('123456789')).toBe(0x31c3 % 16384);
    expect(clusterSlot('')).toBe(0);
  });
});

describe('shardPrefix', () => {
  it('keeps the unsharded {prefix} layout for one shard and tags each shard apart otherwise', () => {
    expect(shardPrefix('okta-sync', 0, 1)).toBe('{okta-sync}');
    // Pinned: a change here moves every sharded deployment's keys. `okta-sync-0` hashes to 11632, in
    // the last third, so shard 0 of 3 takes `okta-sync-0.4` (2887); likewise 1 and 2.
    expect(clusterSlot('okta-sync-0')).toBe(11632);
    expect([0, 1, 2].map((i) => shardPrefix('okta-sync', i, 3))).toEqual(['{okta-sync-0.4}', '{okta-sync-1.2}', '{okta-sync-2.1}']);
    expect([0, 1].map((i) => shardPrefix('okta-sync', i, 2))).toEqual(['{okta-sync-0.1}', '{okta-sync-1}']);
  });

  it.each([2, 3, 4, 6, 8, 16, 256])('puts each of %i shards in its own equal share of the slots (one per master of an evenly created cluster)', (n) => {
    for (const prefix of ['okta-sync', 'tenant-sync-prod', 't-e2e-1a2b']) {
      const slots = Array.from({ length: n }, (_, i) => clusterSlot(shardPrefix(prefix, i, n).slice(1, -1)));
      slots.forEach((slot, i) => {
        expect(slot).toBeGreaterThanOrEqual(Math.floor((i * 16384) / n));
        expect(slot).toBeLessThan(Math.floor(((i + 1) * 16384) / n));
      });
      // Stable: the same tags every time.
      expect(Array.from({ length: n }, (_, i) => shardPrefix(prefix, i, n))).toEqual(Array.from({ length: n }, (_, i) => shardPrefix(prefix, i, n)));
    }
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
