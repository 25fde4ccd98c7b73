import { Command } from 'commander';
import { UsageError } from '../shared/errors.js';
import { asRunId, type TenantId } from '../shared/ids.js';
import { isResource, RESOURCES, type Resource } from '../shared/resources.js';
import { SYNC_MODES, type RunRecord, type SyncMode, type SyncStore } from '../shared/store/sync-store.js';
import { enqueueSync } from '../shared/enqueue-sync.js';
import type { CliContext } from './context.js';
import { createProgressView } from './progress.js';
import { tenantIdArg } from './tenant-commands.js';

type Run = (action: (ctx: CliContext) => Promise<number>) => Promise<void>;

export function parseResources(value: string | undefined): Resource[] {
  const names = (value ?? RESOURCES.join(',')).split(',').map((s) => s.trim()).filter(Boolean);
  const bad = names.find((n) => !isResource(n));
  if (bad !== undefined || names.length === 0) throw new UsageError(`--resources takes ${RESOURCES.join(',')} (got "${bad ?? ''}")`);
  return names as Resource[];
}

function parseMode(value: string | undefined): SyncMode {
  const mode = value ?? 'full';
  if (!(SYNC_MODES as readonly string[]).includes(mode)) throw new UsageError('--mode takes full or incremental');
  return mode as SyncMode;
}

export function syncCommand(run: Run): Command {
  return new Command('sync')
    .description('queue a sync of a tenant; --wait follows it to the end')
    .argument('<tenantId>')
    .option('--resources <list>', `comma separated: ${RESOURCES.join(',')}`)
    .option('--mode <mode>', 'full or incremental', 'full')
    .option('--wait', 'wait for the runs to finish, showing progress')
    .option('--json', 'print the runs (final summary with --wait) as JSON')
    .action((id: string, o: { resources?: string; mode?: string; wait?: boolean; json?: boolean }) =>
      run(async (ctx) => {
        const tenantId = tenantIdArg(id);
        const resources = parseResources(o.resources);
        const mode = parseMode(o.mode);
        // Redis first: with Redis away no run record is written at all.
        const queues = await ctx.queues();
        const store = await ctx.store();
        const runs = await enqueueSync({ store, queues }, { tenantId, resources, mode });
        if (!o.wait) {
          process.stdout.write(`${JSON.stringify(o.json ? { runs } : runs)}\n`);
          return 0;
        }
        const final = await waitForRuns(store, runs.map((r) => r.runId), !o.json);
        if (o.json) process.stdout.write(`${JSON.stringify({ tenantId, runs: final }, null, 2)}\n`);
        return final.every((r) => r.status === 'succeeded') ? 0 : 1;
      }),
    );
}

/** Polls the store until every run is final; shows progress on stderr unless `quiet`. */
export async function waitForRuns(store: SyncStore, runIds: readonly string[], showProgress: boolean, pollMs = 300): Promise<RunRecord[]> {
  const view = showProgress ? createProgressView() : undefined;
  for (;;) {
    const runs = (await Promise.all(runIds.map((id) => store.getRun(asRunId(id))))).filter((r): r is RunRecord => r !== undefined);
    view?.update(runs);
    if (runs.every((r) => r.status === 'succeeded' || r.status === 'failed' || r.status === 'cancelled')) {
      view?.done();
      return runs;
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

export function runsCommand(run: Run): Command {
  const runs = new Command('runs').description('inspect sync runs');
  runs
    .command('list')
    .option('--tenant <id>')
    .option('--limit <n>', 'most recent first', '50')
    .option('--json')
    .action((o: { tenant?: string; limit: string; json?: boolean }) =>
      run(async (ctx) => {
        const limit = Number(o.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError('--limit takes 1 to 1000');
        const tenantId: TenantId | undefined = o.tenant ? tenantIdArg(o.tenant) : undefined;
        const list = await (await ctx.store()).listRuns({ ...(tenantId ? { tenantId } : {}), limit });
        if (o.json) process.stdout.write(`${JSON.stringify(list)}\n`);
        else for (const r of list) process.stdout.write(`${r.runId}  ${r.tenantId}  ${r.resource}  ${r.mode}  ${r.status}  ${r.counters.objects} objects\n`);
        return 0;
      }),
    );
  runs
    .command('show <runId>')
    .option('--json')
    .action((id: string, o: { json?: boolean }) =>
      run(async (ctx) => {
        const r = await (await ctx.store()).getRun(asRunId(id));
        if (!r) {
          process.stderr.write(`okta-sync: run ${id} not found\n`);
          return 1;
        }
        process.stdout.write(`${JSON.stringify(r, null, o.json ? undefined : 2)}\n`);
        return 0;
      }),
    );
  return runs;
}
