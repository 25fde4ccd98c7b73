import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';

/** A fresh queue prefix, store file and keyring for one test file: nothing leaks between files. */
export interface Sandbox {
  dir: string;
  redisUrl: string;
  queuePrefix: string;
  storeUrl: string;
  storePath: string;
  encryptionKeys: string;
  /** The environment for processes of this sandbox (plus any overrides). */
  env(overrides?: Record<string, string>): Record<string, string>;
  cleanup(): void;
}

export function createSandbox(name: string): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), `okta-sync-${name}-`));
  const redisUrl = inject('redisUrl');
  const queuePrefix = `t-${name}-${randomBytes(4).toString('hex')}`;
  const storePath = join(dir, 'store.db');
  const encryptionKeys = `test:${randomBytes(32).toString('base64')}`;
  const base: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? dir,
    REDIS_URL: redisUrl,
    STORE_URL: `sqlite:${storePath}`,
    QUEUE_PREFIX: queuePrefix,
    OKTA_SYNC_ENCRYPTION_KEYS: encryptionKeys,
    OKTA_SYNC_ALLOW_INSECURE_LOOPBACK: 'true',
    LOG_LEVEL: 'warn',
    // One cursor per run keeps the exact page counts older tests assert; partitioned runs are
    // tested where they are asked for (test/e2e/sync-partitioned.test.ts).
    OKTA_SYNC_MAX_CURSORS: '1',
  };
  return {
    dir,
    redisUrl,
    queuePrefix,
    storeUrl: base.STORE_URL!,
    storePath,
    encryptionKeys,
    env: (overrides = {}) => ({ ...base, ...overrides }),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
