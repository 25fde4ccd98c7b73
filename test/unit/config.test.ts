import { describe, expect, it } from 'vitest';
import { readConfig } from '../../src/shared/config.js';
import { ConfigError } from '../../src/shared/errors.js';

describe('readConfig', () => {
  it('applies the documented defaults', () => {
    const c = readConfig({});
    expect(c).toMatchObject({
      redisUrl: 'redis://127.0.0.1:6379',
      redisUrlDefaulted: true,
      storeUrl: 'sqlite:./data/okta-sync.db',
      rateShare: 0.5,
      tenantConcurrency: 10,
      maxCursors: 8,
      queuePrefix: 'okta-sync',
      logLevel: 'info',
      allowInsecureLoopback: false,
      otelEnabled: false,
    });
  });

  it.each([
    ['REDIS_URL', 'not a url'],
    ['REDIS_URL', 'http://127.0.0.1:6379'],
    ['STORE_URL', 'postgres://x/y'],
    ['STORE_URL', 'sqlite:'],
    ['OKTA_SYNC_RATE_SHARE', '1.5'],
    ['OKTA_SYNC_RATE_SHARE', 'half'],
    ['OKTA_SYNC_TENANT_CONCURRENCY', '0'],
    ['OKTA_SYNC_MAX_CURSORS', '0'],
    ['OKTA_SYNC_MAX_CURSORS', '65'],
    ['WORKER_CONCURRENCY', '2.5'],
    ['QUEUE_PREFIX', 'has space'],
    ['LOG_LEVEL', 'loud'],
    ['OKTA_SYNC_ALLOW_INSECURE_LOOPBACK', 'maybe'],
    ['METRICS_PORT', '70000'],
  ])('rejects %s=%s naming the variable', (name, value) => {
    let error: unknown;
    try {
      readConfig({ [name]: value });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(name);
    expect((error as Error).message.startsWith(`${name}:`)).toBe(true);
    expect((error as Error).message).not.toContain('\n');
  });

  it('accepts valid overrides', () => {
    const c = readConfig({ REDIS_URL: 'rediss://r:6380/2', STORE_URL: 'mongodb://m:27017/db', OKTA_SYNC_RATE_SHARE: '0.9', LOG_LEVEL: 'DEBUG' });
    expect(c).toMatchObject({ redisUrl: 'rediss://r:6380/2', storeUrl: 'mongodb://m:27017/db', rateShare: 0.9, logLevel: 'debug' });
  });
});
