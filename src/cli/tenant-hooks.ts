import { Command } from 'commander';
import { UsageError } from '../shared/errors.js';
import { asTenantId, isTenantId, type TenantId } from '../shared/ids.js';
import { createOktaHttp, type OktaHttp } from '../shared/okta/okta-http.js';
import { installEventHook } from '../producer/event-hooks/install-event-hook.js';
import { uninstallEventHook } from '../producer/event-hooks/uninstall-event-hook.js';
import type { CliContext } from './context.js';

type Run = (action: (ctx: CliContext) => Promise<number>) => Promise<void>;

/**
 * `okta-sync tenant hooks install <tenantId> --public-url <https://…>`: registers the tenant's Okta
 * Event Hook (needs okta.eventHooks.manage) and prints the result as JSON, never the secret. Okta
 * verifies the hook by calling the API's receiver, so `okta-sync api` must be reachable at the URL.
 */
function tenantIdOf(id: string): TenantId {
  if (!isTenantId(id)) throw new UsageError('tenantId must be 1-64 letters, digits, "_", "." or "-"');
  return asTenantId(id);
}

/** An Okta HTTP client for one command, closed after it. */
export async function withOktaHttp<T>(work: (http: OktaHttp) => Promise<T>): Promise<T> {
  const http = createOktaHttp({ headersTimeoutMs: 15_000, bodyTimeoutMs: 15_000 });
  try {
    return await work(http);
  } finally {
    await http.close();
  }
}

export function tenantHooksCommand(run: Run): Command {
  const hooks = new Command('hooks').description('Okta Event Hooks: near-real-time deliveries to the API (optional, needs okta.eventHooks.manage)');
  hooks
    .command('install <tenantId>')
    .description("create (or replace) the tenant's event hook in its org and verify it against the API's receiver")
    .requiredOption('--public-url <url>', 'https:// base URL at which Okta reaches `okta-sync api`')
    .action((id: string, o: { publicUrl: string }) =>
      run(async (ctx) => {
        const report = await withOktaHttp((http) =>
          ctx.store().then((store) => installEventHook({ store, keyring: ctx.keyring(), domainPolicy: ctx.domainPolicy(), http }, tenantIdOf(id), o.publicUrl)),
        );
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        return 0;
      }),
    );
  hooks
    .command('remove <tenantId>')
    .description("delete the tenant's event hook from its org and forget its secret (the watch keeps running)")
    .action((id: string) =>
      run(async (ctx) => {
        const report = await withOktaHttp((http) =>
          ctx.store().then((store) => uninstallEventHook({ store, keyring: ctx.keyring(), domainPolicy: ctx.domainPolicy(), http }, tenantIdOf(id))),
        );
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        return 0;
      }),
    );
  return hooks;
}
