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
      changeFeed: true,
      adminWrite: false,
      trustProxy: false,
      maxResponseBytes: undefined,
      maxPagesPerRun: 100_000,
      maxRateWaitSeconds: 120,
      retention: { tombstoneDays: 30, runHistoryDays: 90, changesDays: 7, logEventDays: 90 },
    });
    expect(readConfig({ OKTA_SYNC_CHANGE_FEED: 'false' }).changeFeed).toBe(false);
  });

  it('reads OKTA_SYNC_TRUST_PROXY as a flag or a list of proxy addresses', () => {
    expect(readConfig({ OKTA_SYNC_TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(readConfig({ OKTA_SYNC_TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).trustProxy).toEqual(['10.0.0.0/8', '127.0.0.1']);
  });

  it('reads the hostile-org bounds', () => {
    const c = readConfig({ OKTA_SYNC_MAX_RESPONSE_BYTES: '1048576', OKTA_SYNC_MAX_PAGES_PER_RUN: '50', OKTA_SYNC_MAX_RATE_WAIT_SECONDS: '3' });
    expect(c).toMatchObject({ maxResponseBytes: 1_048_576, maxPagesPerRun: 50, maxRateWaitSeconds: 3 });
  });

  it.each([
    ['REDIS_URL', 'not a url'],
    ['REDIS_URL', 'http://127.0.0.1:6379'],
    ['STORE_URL', 'postgres://x/y'],
    ['STORE_URL', 'sqlite:'],
    ['OKTA_SYNC_RATE_SHARE', '1.5'],
    ['OKTA_SYNC_RATE_SHARE', 'half'],
    ['OKTA_SYNC_TENANT_CONCURRENCY', '0'],
    ['OKTA_SYNC_CHANGE_FEED', 'off'],
    ['OKTA_SYNC_MAX_CURSORS', '0'],
    ['OKTA_SYNC_MAX_CURSORS', '65'],
    ['WORKER_CONCURRENCY', '2.5'],
    ['QUEUE_PREFIX', 'has space'],
    ['LOG_LEVEL', 'loud'],
    ['OKTA_SYNC_ALLOW_INSECURE_LOOPBACK', 'maybe'],
    ['METRICS_PORT', '70000'],
    ['OKTA_SYNC_PUBLIC_URL', 'sync.example.com'],
    ['OKTA_SYNC_PUBLIC_URL', 'https://sync.example.com/?x=1'],
    ['OKTA_SYNC_CONNECT_RETURN_ALLOW', 'https://app.example.com/path'],
    ['OKTA_SYNC_CONNECT_RETURN_ALLOW', 'ftp://app.example.com'],
    ['REDIS_URL', 'redis://127.0.0.1:6379/99'],
    ['REDIS_URL', 'rediss://r:6380/2'],
    ['OKTA_SYNC_ADMIN_WRITE', 'perhaps'],
    ['OKTA_SYNC_TRUST_PROXY', 'the-proxy'],
    ['OKTA_SYNC_MAX_RESPONSE_BYTES', '10'],
    ['OKTA_SYNC_MAX_PAGES_PER_RUN', '0'],
    ['OKTA_SYNC_MAX_RATE_WAIT_SECONDS', 'forever'],
    ['OKTA_SYNC_TOMBSTONE_DAYS', '0'],
    ['OKTA_SYNC_LOG_EVENT_DAYS', '0'],
    ['OKTA_SYNC_RUN_HISTORY_DAYS', '1.5'],
    ['OKTA_SYNC_CHANGES_DAYS', 'week'],
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
    const c = readConfig({ REDIS_URL: 'rediss://r:6380/0', STORE_URL: 'mongodb://m:27017/db', OKTA_SYNC_RATE_SHARE: '0.9', LOG_LEVEL: 'DEBUG' });
    expect(c).toMatchObject({ redisUrl: 'rediss://r:6380/0', storeUrl: 'mongodb://m:27017/db', rateShare: 0.9, logLevel: 'debug' });
  });

  it('connect settings: the public URL without a trailing slash, return origins normalised; unset = none', () => {
    expect(readConfig({})).toMatchObject({ publicUrl: undefined, connectReturnAllow: [] });
    const c = readConfig({ OKTA_SYNC_PUBLIC_URL: 'https://Sync.Example.com/okta/', OKTA_SYNC_CONNECT_RETURN_ALLOW: 'https://App.example.com, http://localhost:5173/' });
    expect(c).toMatchObject({ publicUrl: 'https://sync.example.com/okta', connectReturnAllow: ['https://app.example.com', 'http://localhost:5173'] });
  });
});
