import { Command } from 'commander';
import { UsageError } from '../shared/errors.js';
import { EXPORTABLE_TYPES, isExportable } from '../shared/resources.js';
import type { CliContext } from './context.js';
import { tenantIdArg } from './tenant-commands.js';

type Run = (action: (ctx: CliContext) => Promise<number>) => Promise<void>;

export function exportCommand(run: Run): Command {
  return new Command('export')
    .description('print a tenant\'s synced objects as NDJSON')
    .argument('<tenantId>')
    .requiredOption('--resource <name>', 'users, groups, memberships, apps, app_users or logs')
    .option('--include-deleted', 'include objects marked deleted')
    .action((id: string, o: { resource: string; includeDeleted?: boolean }) =>
      run(async (ctx) => {
        const tenantId = tenantIdArg(id);
        if (!isExportable(o.resource)) throw new UsageError('--resource takes users, groups, memberships, apps, app_users or logs');
        const store = await ctx.store();
        let after: string | undefined;
        do {
          const page = await store.listObjects({
            tenantId,
            type: EXPORTABLE_TYPES[o.resource],
            limit: 1000,
            includeDeleted: Boolean(o.includeDeleted),
            ...(after === undefined ? {} : { after }),
          });
          const chunk = page.items.map((item) => JSON.stringify(item)).join('\n');
          if (chunk && !process.stdout.write(`${chunk}\n`)) await new Promise((r) => process.stdout.once('drain', r));
          after = page.next ?? undefined;
        } while (after !== undefined);
        return 0;
      }),
    );
}
