import { Command, CommanderError } from 'commander';
import { type Config, readConfig } from './shared/config.js';
import { generateKeySpec } from './shared/crypto.js';
import { UsageError } from './shared/errors.js';
import { flushTelemetry } from './shared/telemetry/spans.js';
import { apiCommand } from './cli/api-command.js';
import { changesCommand } from './cli/changes-command.js';
import { CliContext } from './cli/context.js';
import { demoCommand } from './cli/demo-command.js';
import { EXIT, reportError } from './cli/exit.js';
import { exportCommand } from './cli/export-command.js';
import { keysRotateCommand } from './cli/keys-commands.js';
import { runsCommand, syncCommand } from './cli/run-commands.js';
import { tenantCommand } from './cli/tenant-commands.js';
import { workerCommand } from './cli/worker-command.js';

/**
 * `okta-sync`: one executable for every process of the service (DESIGN.md "Processes and CLI").
 * Exit codes: 0 success, 1 the run or command failed, 2 bad usage or input.
 */
export async function main(argv: readonly string[]): Promise<void> {
  let config: Config | undefined;
  const getConfig = (): Config => {
    config ??= readConfig();
    return config;
  };
  const exit = (code: number) => {
    process.exitCode = code;
    // Give stdout (and buffered spans) a chance to flush before leaving.
    setImmediate(() => void flushTelemetry().finally(() => process.exit(code)));
  };
  const run = async (action: (ctx: CliContext) => Promise<number>) => {
    let ctx: CliContext | undefined;
    let code: number;
    try {
      ctx = new CliContext(getConfig());
      code = await action(ctx);
    } catch (error) {
      code = reportError(error);
    } finally {
      await ctx?.close();
    }
    exit(code);
  };

  const program = new Command('okta-sync')
    .description('Sync many Okta orgs into a store on horizontally scaled workers')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  program.addCommand(apiCommand(getConfig, exit));
  program.addCommand(workerCommand(getConfig, exit));
  program.addCommand(tenantCommand(run));
  program.addCommand(syncCommand(run));
  program.addCommand(runsCommand(run));
  program.addCommand(exportCommand(run));
  program.addCommand(changesCommand(run));
  program.addCommand(demoCommand(exit));
  program
    .command('okta-sim')
    .description('run the local Okta org simulator; prints org domains and credentials as JSON')
    .allowUnknownOption()
    .allowExcessArguments()
    .helpOption(false)
    .action(async (_o: unknown, cmd: Command) => {
      // Loaded by path only for this command: product code never imports the simulator.
      const sim = (await import(new URL('./okta-sim/cli.js', import.meta.url).href)) as {
        runOktaSimCli(argv: string[]): Promise<void>;
      };
      await sim.runOktaSimCli(cmd.args);
    });
  const keys = program.command('keys').description('credential encryption keys');
  keys
    .command('generate')
    .description('print a new OKTA_SYNC_ENCRYPTION_KEYS entry')
    .action(() => {
      process.stdout.write(`${generateKeySpec()}\n`);
    });
  keys.addCommand(keysRotateCommand(run));

  for (const cmd of [program, ...program.commands, ...program.commands.flatMap((c) => c.commands)]) cmd.exitOverride();
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are successes; everything else commander rejects is usage.
      exit(error.exitCode === 0 ? EXIT.ok : EXIT.usage);
      return;
    }
    exit(error instanceof UsageError ? reportError(error) : reportError(error));
  }
}
