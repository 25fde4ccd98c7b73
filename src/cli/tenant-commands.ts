import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { UsageError } from '../shared/errors.js';
import { asTenantId, isTenantId, type TenantId } from '../shared/ids.js';
import { removeTenant } from '../producer/remove-tenant.js';
import { uninstallEventHook } from '../producer/event-hooks/uninstall-event-hook.js';
import { publicTenant, putTenant } from '../producer/tenant-service.js';
import type { CliContext } from './context.js';
import { readStdin } from './stdin.js';
import { applyWatch, readWatch, watchInterval } from '../producer/watch.js';
import { eventHookView } from '../producer/event-hooks/event-hook-view.js';
import { tenantHooksCommand, withOktaHttp } from './tenant-hooks.js';
import { tenantVerifyCommand } from './tenant-verify.js';

type Run = (action: (ctx: CliContext) => Promise<number>) => Promise<void>;

export function tenantIdArg(value: string): TenantId {
  if (!isTenantId(value)) throw new UsageError('tenantId must be 1-64 letters, digits, "_", "." or "-"');
  return asTenantId(value);
}

async function watchDeps(ctx: CliContext) {
  return { queues: await ctx.queues(), redis: await ctx.redis(), queuePrefix: ctx.config.queuePrefix };
}

export function tenantCommand(run: Run): Command {
  const tenant = new Command('tenant').description('register and inspect tenants (customer Okta orgs)');
  tenant
    .command('add <tenantId>')
    .description('register or update a tenant; the secret is read from stdin, never from an argument')
    .requiredOption('--domain <host>', 'Okta domain, e.g. acme.okta.com')
    .requiredOption('--client-id <id>', 'client ID of the API service integration in that org')
    .option('--client-secret-stdin', 'read the client secret from standard input')
    .option('--private-key-file <pem>', 'PKCS#8 PEM private key for private_key_jwt')
    .option('--key-id <kid>', 'kid of that key as registered in Okta')
    .option('--scopes <list>', 'granted scopes, comma separated')
    .option('--dpop', 'the integration requires DPoP-bound tokens')
    .action((id: string, o: Record<string, string | boolean | undefined>) =>
      run(async (ctx) => {
        const tenantId = tenantIdArg(id);
        if (Boolean(o.clientSecretStdin) === Boolean(o.privateKeyFile)) {
          throw new UsageError('give exactly one of --client-secret-stdin or --private-key-file');
        }
        const secret = o.clientSecretStdin ? (await readStdin()).trim() : undefined;
        if (o.clientSecretStdin && !secret) throw new UsageError('no client secret on standard input');
        const pem = typeof o.privateKeyFile === 'string' ? await readFile(o.privateKeyFile, 'utf8') : undefined;
        const result = await putTenant(
          { store: await ctx.store(), keyring: ctx.keyring(), domainPolicy: ctx.domainPolicy() },
          {
            tenantId,
            oktaDomain: String(o.domain),
            clientId: String(o.clientId),
            ...(secret ? { clientSecret: secret } : {}),
            ...(pem ? { privateKeyPem: pem } : {}),
            ...(typeof o.keyId === 'string' ? { keyId: o.keyId } : {}),
            ...(typeof o.scopes === 'string' ? { scopes: o.scopes.split(',').map((s) => s.trim()) } : {}),
            dpop: Boolean(o.dpop),
          },
        );
        process.stdout.write(`${JSON.stringify({ ...result.tenant, created: result.created })}\n`);
        return 0;
      }),
    );
  tenant.command('list').action(() =>
    run(async (ctx) => {
      for (const t of await (await ctx.store()).listTenants()) process.stdout.write(`${JSON.stringify(publicTenant(t))}\n`);
      return 0;
    }),
  );
  tenant.command('show <tenantId>').action((id: string) =>
    run(async (ctx) => {
      const t = await (await ctx.store()).getTenant(tenantIdArg(id));
      if (!t) {
        process.stderr.write(`okta-sync: tenant ${id} not found\n`);
        return 1;
      }
      // The watch lives in Redis: without it the tenant is still shown, with a note on stderr.
      const watch = await watchDeps(ctx)
        .then((deps) => readWatch(deps, t.tenantId))
        .catch((error: Error) => {
          process.stderr.write(`okta-sync: watch status unavailable (${error.message})\n`);
          return undefined;
        });
      const eventHook = eventHookView(await (await ctx.store()).getEventHook(t.tenantId));
      process.stdout.write(`${JSON.stringify({ ...publicTenant(t), ...(watch ? { watch } : {}), eventHook }, null, 2)}\n`);
      return 0;
    }),
  );
  tenant
    .command('watch <tenantId>')
    .description('near-real-time updates from the System Log: poll it every --interval seconds (default 15, at least 5), or --off')
    .option('--interval <seconds>', 'seconds between polls')
    .option('--off', 'stop watching (the logs cursor is kept)')
    .action((id: string, o: { interval?: string; off?: boolean }) =>
      run(async (ctx) => {
        const tenantId = tenantIdArg(id);
        if (Boolean(o.off) === (o.interval !== undefined)) throw new UsageError('give exactly one of --interval <seconds> or --off');
        const intervalSeconds = o.interval === undefined ? undefined : Number(o.interval);
        if (intervalSeconds !== undefined && !/^[0-9]+$/.test(o.interval ?? '')) throw new UsageError('--interval must be a whole number of seconds');
        const change = { enabled: !o.off, intervalSeconds };
        try {
          watchInterval(change);
        } catch (error) {
          if (o.off) throw error;
          throw new UsageError(`--interval ${error instanceof Error ? error.message.replace(/^intervalSeconds /, '') : ''}`);
        }
        if (!(await (await ctx.store()).getTenant(tenantId))) {
          process.stderr.write(`okta-sync: tenant ${id} not found\n`);
          return 1;
        }
        const watch = await applyWatch(await watchDeps(ctx), tenantId, change);
        process.stdout.write(`${JSON.stringify(watch)}\n`);
        return 0;
      }),
    );
  tenant.addCommand(tenantVerifyCommand(run));
  tenant.addCommand(tenantHooksCommand(run));
  tenant
    .command('remove <tenantId>')
    .option('--purge-data', 'also delete its synced objects, runs and sync state')
    .action((id: string, o: { purgeData?: boolean }) =>
      run(async (ctx) => {
        // Same cleanup as DELETE /v1/tenants/{id}: schedules, pending jobs, cached tokens.
        const queues = await ctx.queues();
        const store = await ctx.store();
        const redis = await ctx.redis();
        await withOktaHttp((http) =>
          removeTenant(
            {
              store,
              queues,
              redis,
              // Its Event Hook goes from the org first; if that fails, say so and remove the rest.
              uninstallHook: (tenantId) =>
                uninstallEventHook({ store, keyring: ctx.keyring(), domainPolicy: ctx.domainPolicy(), http }, tenantId).catch((error: Error) => {
                  process.stderr.write(`okta-sync: ${error.message}\n`);
                  throw error;
                }),
            },
            tenantIdArg(id),
            { purgeData: Boolean(o.purgeData) },
          ),
        );
        return 0;
      }),
    );
  return tenant;
}
