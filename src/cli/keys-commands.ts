import { Command } from 'commander';
import { rotateCredentials } from '../producer/rotate-credentials.js';
import type { CliContext } from './context.js';

type Run = (action: (ctx: CliContext) => Promise<number>) => Promise<void>;

/**
 * `okta-sync keys rotate`: after a new key is put first in OKTA_SYNC_ENCRYPTION_KEYS, re-encrypts
 * every stored credential under it (idempotent), so the old key can then be removed.
 * Prints `{primaryKid, tenants, reencrypted, failed, webhookSecrets, eventHookSecrets}`; exits 1 when a credential could not be read.
 */
export function keysRotateCommand(run: Run): Command {
  return new Command('rotate')
    .description('re-encrypt every tenant credential under the first key of OKTA_SYNC_ENCRYPTION_KEYS')
    .action(() =>
      run(async (ctx) => {
        const report = await rotateCredentials({ store: await ctx.store(), keyring: ctx.keyring() });
        process.stdout.write(`${JSON.stringify(report)}\n`);
        if (report.failed.length > 0) {
          process.stderr.write(`okta-sync: ${report.failed.length} credential(s) could not be decrypted with any key: ${report.failed.join(', ')}\n`);
          return 1;
        }
        return 0;
      }),
    );
}
