import { Cluster, Redis as SingleRedis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { readConfig } from '../../src/shared/config.js';
import { ConfigError } from '../../src/shared/errors.js';
import { createRedis } from '../../src/shared/redis.js';

function configError(env: Record<string, string>): ConfigError {
  try {
    readConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('readConfig accepted the environment');
}

describe('Redis connection modes in the config', () => {
  it('defaults to REDIS_URL (single mode)', () => {
    expect(readConfig({}).redis).toEqual({ mode: 'single', url: 'redis://127.0.0.1:6379' });
    expect(readConfig({ REDIS_URL: 'redis://r:6380/0' }).redis).toEqual({ mode: 'single', url: 'redis://r:6380/0' });
  });

  it('REDIS_CLUSTER_NODES selects cluster mode and REDIS_URL is ignored', () => {
    const c = readConfig({ REDIS_URL: 'not even a url', REDIS_CLUSTER_NODES: 'a:7000, b:7001,[::1]:7002', REDIS_PASSWORD: 'pw', REDIS_TLS: 'true' });
    expect(c.redis).toEqual({
      mode: 'cluster',
      nodes: [
        { host: 'a', port: 7000 },
        { host: 'b', port: 7001 },
        { host: '::1', port: 7002 },
      ],
      password: 'pw',
      tls: true,
    });
    expect(c.redisUrlDefaulted).toBe(false);
  });

  it('parses a NAT map for cluster nodes', () => {
    const c = readConfig({ REDIS_CLUSTER_NODES: 'ext:7000', REDIS_CLUSTER_NAT_MAP: '10.0.0.1:6379=ext:7000,10.0.0.2:6379=ext:7001' });
    expect(c.redis).toMatchObject({ natMap: { '10.0.0.1:6379': { host: 'ext', port: 7000 }, '10.0.0.2:6379': { host: 'ext', port: 7001 } } });
  });

  it('REDIS_SENTINELS + REDIS_SENTINEL_NAME select Sentinel mode', () => {
    const c = readConfig({ REDIS_SENTINELS: 's1:26379,s2:26379', REDIS_SENTINEL_NAME: 'mymaster' });
    expect(c.redis).toEqual({
      mode: 'sentinel',
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26379 },
      ],
      name: 'mymaster',
      tls: false,
    });
  });

  it.each([
    [{ REDIS_CLUSTER_NODES: 'a' }, 'REDIS_CLUSTER_NODES'],
    [{ REDIS_CLUSTER_NODES: 'a:0' }, 'REDIS_CLUSTER_NODES'],
    [{ REDIS_CLUSTER_NODES: 'a:7000,b:99999' }, 'REDIS_CLUSTER_NODES'],
    [{ REDIS_CLUSTER_NODES: ' , ' }, 'REDIS_CLUSTER_NODES'],
    [{ REDIS_CLUSTER_NODES: 'a:7000', REDIS_CLUSTER_NAT_MAP: 'x:1' }, 'REDIS_CLUSTER_NAT_MAP'],
    [{ REDIS_CLUSTER_NODES: 'a:7000', REDIS_TLS: 'maybe' }, 'REDIS_TLS'],
    [{ REDIS_SENTINELS: 's:26379' }, 'REDIS_SENTINEL_NAME'],
    [{ REDIS_SENTINEL_NAME: 'mymaster' }, 'REDIS_SENTINELS'],
    [{ REDIS_SENTINELS: 's', REDIS_SENTINEL_NAME: 'm' }, 'REDIS_SENTINELS'],
  ])('rejects %o naming %s in one line', (env, variable) => {
    const error = configError({ REDIS_URL: 'bad url', ...env });
    expect(error.variable).toBe(variable);
    expect(error.message.startsWith(`${variable}:`)).toBe(true);
    expect(error.message).not.toContain('\n');
  });

  it('never puts REDIS_PASSWORD in an error', () => {
    const error = configError({ REDIS_SENTINELS: 's:1', REDIS_PASSWORD: 'hunter2-secret' });
    expect(error.message).not.toContain('hunter2-secret');
  });
});

describe('createRedis', () => {
  it('builds a Cluster client for cluster mode and a Sentinel-backed client for Sentinel mode', () => {
    const cluster = createRedis({ mode: 'cluster', nodes: [{ host: '127.0.0.1', port: 1 }], tls: false }, { lazyConnect: true });
    expect(cluster).toBeInstanceOf(Cluster);
    expect((cluster as Cluster).options.redisOptions).toMatchObject({ maxRetriesPerRequest: null, enableReadyCheck: true });
    cluster.disconnect();
    const sentinel = createRedis({ mode: 'sentinel', sentinels: [{ host: '127.0.0.1', port: 1 }], name: 'm', tls: false }, { lazyConnect: true });
    expect(sentinel).toBeInstanceOf(SingleRedis);
    expect((sentinel as SingleRedis).options).toMatchObject({ name: 'm', sentinels: [{ host: '127.0.0.1', port: 1 }], maxRetriesPerRequest: null });
    sentinel.disconnect();
  });
});
