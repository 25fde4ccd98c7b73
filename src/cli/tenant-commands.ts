import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { UsageError } from '../shared/errors.js';
import { asTenantId, isTenantId, type TenantId } from '../shared/ids.js';
import { removeTenant } from '../producer/remove-tenant.js';
import { publicTenant, putTenant } from '../producer/tenant-service.js';
import type { CliContext } from './context.js';
import { readStdin } from './stdin.js';
import { tenantVerifyCommand } from './tenant-verify.js';

type Run = (action: (ctx: CliContext) => Promise<number>) => Promise<void>;

export function tenantIdArg(value: string): TenantId {
  if (!isTenantId(value)) throw new UsageError('tenantId must be 1-64 letters, digits, "_", "." or "-"');
  return asTenantId(value);
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
      process.stdout.write(`${JSON.stringify(publicTenant(t), null, 2)}\n`);
      return 0;
    }),
  );
  tenant.addCommand(tenantVerifyCommand(run));
  tenant
    .command('remove <tenantId>')
    .option('--purge-data', 'also delete its synced objects, runs and sync state')
    .action((id: string, o: { purgeData?: boolean }) =>
      run(async (ctx) => {
        // Same cleanup as DELETE /v1/tenants/{id}: schedules, pending jobs, cached tokens.
        const queues = await ctx.queues();
        await removeTenant(
          { store: await ctx.store(), queues, redis: await ctx.redis() },
          tenantIdArg(id),
          { purgeData: Boolean(o.purgeData) },
        );
        return 0;
      }),
    );
  return tenant;
}
