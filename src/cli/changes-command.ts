import { Command } from 'commander';
import { UsageError } from '../shared/errors.js';
import { CursorExpiredError } from '../shared/store/change-feed.js';
import { OBJECT_TYPES, type ObjectType } from '../shared/store/sync-store.js';
import type { CliContext } from './context.js';
import { tenantIdArg } from './tenant-commands.js';

type Run = (action: (ctx: CliContext) => Promise<number>) => Promise<void>;

/** Entries per store read, and the pause between reads once caught up with `--follow`. */
const PAGE = 500;
const FOLLOW_POLL_MS = 1_000;

/**
 * `okta-sync changes <tenantId> [--after] [--types] [--follow]`: the change feed as NDJSON, one
 * entry per line, each with its `cursor`; restart with `--after <last cursor>` to continue exactly
 * after it. `--follow` keeps polling until SIGINT or SIGTERM, then exits 0.
 */
export function changesCommand(run: Run): Command {
  return new Command('changes')
    .description('print a tenant\'s change feed as NDJSON (each line has the cursor to resume after)')
    .argument('<tenantId>')
    .option('--after <cursor>', 'start after this cursor (default: the oldest retained entry)')
    .option('--types <list>', `comma separated: ${OBJECT_TYPES.join(', ')}`)
    .option('--follow', 'keep reading new entries until interrupted')
    .action((id: string, o: { after?: string; types?: string; follow?: boolean }) =>
      run(async (ctx) => {
        const tenantId = tenantIdArg(id);
        const types = parseTypes(o.types);
        const store = await ctx.store();
        const stop = stopSignal(Boolean(o.follow));
        let after = o.after;
        try {
          while (!stop.stopped) {
            const page = await store.readChanges({ tenantId, limit: PAGE, types, ...(after === undefined ? {} : { after }) });
            await writeLines(page.items.map((item) => JSON.stringify(item)));
            after = page.next;
            if (page.items.length === PAGE) continue;
            if (!o.follow) break;
            await stop.sleep(FOLLOW_POLL_MS);
          }
        } catch (error) {
          if (!(error instanceof CursorExpiredError)) throw error;
          process.stderr.write(`okta-sync: cursor_expired: ${error.message}\nrestartCursor ${error.restartCursor}\n`);
          return 1;
        } finally {
          stop.dispose();
        }
        return 0;
      }),
    );
}

function parseTypes(list: string | undefined): ObjectType[] {
  if (list === undefined) return [];
  const types = list.split(',').map((t) => t.trim()).filter(Boolean);
  const unknown = types.find((t) => !(OBJECT_TYPES as readonly string[]).includes(t));
  if (unknown !== undefined || types.length === 0) throw new UsageError(`--types takes a comma separated list of ${OBJECT_TYPES.join(', ')}`);
  return types as ObjectType[];
}

async function writeLines(lines: string[]): Promise<void> {
  if (lines.length === 0) return;
  if (!process.stdout.write(`${lines.join('\n')}\n`)) await new Promise((r) => process.stdout.once('drain', r));
}

/** With `follow`, SIGINT/SIGTERM end the loop (and cut a pause short) instead of the process. */
function stopSignal(follow: boolean) {
  const state = { stopped: false, wake: () => {} };
  const onSignal = () => {
    state.stopped = true;
    state.wake();
  };
  if (follow) for (const s of ['SIGINT', 'SIGTERM'] as const) process.on(s, onSignal);
  return {
    get stopped() {
      return state.stopped;
    },
    sleep: (ms: number) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        state.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      }),
    dispose() {
      for (const s of ['SIGINT', 'SIGTERM'] as const) process.off(s, onSignal);
    },
  };
}
