import { Command } from 'commander';
import { UsageError } from '../shared/errors.js';
import { isTenantId } from '../shared/ids.js';
import { createOktaHttp } from '../shared/okta/okta-http.js';
import { verifyTenant } from '../producer/verify-tenant.js';
import type { CliContext } from './context.js';

type Run = (action: (ctx: CliContext) => Promise<number>) => Promise<void>;

/** `okta-sync tenant verify <tenantId>`: the API's verify report as JSON; exit 1 when not ok. */
export function tenantVerifyCommand(run: Run): Command {
  return new Command('verify')
    .argument('<tenantId>')
    .description('request a token and read one item of each resource: granted scopes and what is readable')
    .action((id: string) =>
      run(async (ctx) => {
        if (!isTenantId(id)) throw new UsageError('tenantId must be 1-64 letters, digits, "_", "." or "-"');
        const tenantId = id;
        const http = createOktaHttp({ headersTimeoutMs: 15_000, bodyTimeoutMs: 15_000 });
        try {
          const report = await verifyTenant(
            { store: await ctx.store(), keyring: ctx.keyring(), domainPolicy: ctx.domainPolicy(), http },
            tenantId,
          );
          process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
          return report.ok ? 0 : 1;
        } finally {
          await http.close();
        }
      }),
    );
}
