import type { Config } from './config.js';
import type { Logger } from './logger.js';

/**
 * Settings that are legitimate in development but dangerous in production get one warning line
 * when a long-running process (api, worker) starts, so they never go unnoticed in a deployment.
 */
export function warnRiskySettings(config: Config, logger: Logger): void {
  if (config.allowInsecureLoopback) {
    logger.warn(
      { variable: 'OKTA_SYNC_ALLOW_INSECURE_LOOPBACK' },
      'OKTA_SYNC_ALLOW_INSECURE_LOOPBACK=true: tenant domains on loopback over plain http are accepted (development and tests only)',
    );
  }
  if (config.adminWrite) {
    logger.warn({ variable: 'OKTA_SYNC_ADMIN_WRITE' }, 'OKTA_SYNC_ADMIN_WRITE=true: Bull Board can retry, remove and add jobs');
  }
}
