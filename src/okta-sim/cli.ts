import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { FaultSpecError, parseFaultSpec } from './faults.js';
import { type OktaSim, OktaSimOptionsError, startOktaSim } from './index.js';
import { BUCKETS, type OktaSimOptions, RATE_PRESET_NAMES, type RateLimitConfig, type RatePresetName } from './types.js';

class UsageError extends Error {
  override readonly name = 'UsageError';
}

function integer(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('must be a whole number');
  return Number(value);
}

function positive(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number');
  return n;
}

/** A preset name, or a JSON file of `{bucket: requestsPerWindow}`. */
async function readRateLimits(value: string): Promise<RatePresetName | Partial<RateLimitConfig>> {
  if ((RATE_PRESET_NAMES as readonly string[]).includes(value)) return value as RatePresetName;
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(value, 'utf8'));
  } catch (error) {
    throw new UsageError(`--rate-limits: "${value}" is neither a preset (${RATE_PRESET_NAMES.join(', ')}) nor a readable JSON file (${(error as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null) throw new UsageError('--rate-limits file must hold a JSON object');
  const limits: Partial<RateLimitConfig> = {};
  for (const [key, limit] of Object.entries(parsed)) {
    if (!(BUCKETS as readonly string[]).includes(key)) throw new UsageError(`--rate-limits file: unknown bucket "${key}" (known: ${BUCKETS.join(', ')})`);
    if (!Number.isInteger(limit) || (limit as number) < 0) throw new UsageError(`--rate-limits file: ${key} must be a whole number`);
    limits[key as keyof RateLimitConfig] = limit as number;
  }
  return limits;
}

function buildCommand(): Command {
  return new Command('okta-sim')
    .description('Serve simulated Okta orgs on local ports; prints one JSON line with each org\'s domain and credentials.')
    .option('--port <port>', 'first org port, the next org on port+1 (0 = free ports)', integer, 0)
    .option('--orgs <n>', 'number of orgs', integer, 1)
    .option('--users <n>', 'users per org', integer, 200)
    .option('--groups <n>', 'groups per org', integer, 20)
    .option('--apps <n>', 'apps per org', integer, 5)
    .option('--logs <n>', 'System Log events per org', integer, 100)
    .option('--seed <s>', 'data seed', integer, 1)
    .option('--token-ttl <seconds>', 'access token lifetime', integer, 3600)
    .option('--token-delay-ms <ms>', 'latency added to the token endpoint', integer, 0)
    .option('--rate-limits <preset|file>', `${RATE_PRESET_NAMES.join('|')} or a JSON file`, 'enterprise')
    .option('--rate-window <seconds>', 'rate-limit window length', positive, 60)
    .option('--concurrency-limit <n>', 'requests in flight per org')
    .option('--latency <median-ms>', 'median latency of API answers, log-normal (p99 ≈ 4× median), seeded', integer, 0)
    .option('--faults <spec>', 'e.g. latency=5-50,error5xx=0.05,reset=0.01,bigPage500=100,malformed=0.01,slowBody=0.01,dpopRefuse=50')
    .option('--no-payload-variety', 'uniform payloads (by default: sign-on modes, APP_GROUPs, unicode and large profiles, multi-target events)')
    .option('--search-lag-ms <ms>', 'users search/filter see a change only this long after it', integer, 0)
    .option('--dpop-api-nonce', 'DPoP-bound API calls must carry a resource-server nonce (401 use_dpop_nonce)')
    .exitOverride()
    .configureOutput({ writeErr: () => {} })
    .allowExcessArguments(false);
}

async function toOptions(flags: Record<string, unknown>): Promise<OktaSimOptions> {
  const opts: OktaSimOptions = {
    basePort: flags['port'] as number,
    orgs: flags['orgs'] as number,
    users: flags['users'] as number,
    groups: flags['groups'] as number,
    apps: flags['apps'] as number,
    logs: flags['logs'] as number,
    seed: flags['seed'] as number,
    tokenTtlSeconds: flags['tokenTtl'] as number,
    tokenDelayMs: flags['tokenDelayMs'] as number,
    rateLimits: await readRateLimits(flags['rateLimits'] as string),
    rateWindowSeconds: flags['rateWindow'] as number,
    latencyMs: flags['latency'] as number,
  };
  if (typeof flags['concurrencyLimit'] === 'string') opts.concurrencyLimit = integer(flags['concurrencyLimit']);
  if (typeof flags['faults'] === 'string') opts.faults = parseFaultSpec(flags['faults']);
  if (flags['dpopApiNonce'] === true) opts.dpopApiNonce = true;
  opts.payloadVariety = flags['payloadVariety'] !== false;
  opts.searchLagMs = flags['searchLagMs'] as number;
  return opts;
}

/** Where the CLI writes and what stops it; tests pass their own, the command uses the process's. */
export interface CliIo {
  stdout?: { write(text: string): unknown };
  stderr?: { write(text: string): unknown };
  /** Stops the simulator like SIGINT/SIGTERM do. */
  signal?: AbortSignal;
}

function waitForStop(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      signal?.removeEventListener('abort', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    if (signal?.aborted) stop();
    else signal?.addEventListener('abort', stop);
  });
}

/**
 * `okta-sync okta-sim [flags]`: starts the orgs, prints `{"orgs":[SimOrgInfo...]}` as one line on
 * stdout (the only output, so a parent process can read it), and serves until SIGINT or SIGTERM.
 * Bad usage prints one line on stderr and sets exit code 2.
 */
export async function runOktaSimCli(argv: string[], io: CliIo = {}): Promise<void> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  let sim: OktaSim;
  try {
    const command = buildCommand();
    command.parse(argv, { from: 'user' });
    sim = await startOktaSim(await toOptions(command.opts()));
  } catch (error) {
    if (error instanceof CommanderError && (error.code === 'commander.helpDisplayed' || error.code === 'commander.help')) return;
    const usage = error instanceof CommanderError || error instanceof UsageError || error instanceof InvalidArgumentError || error instanceof FaultSpecError || error instanceof OktaSimOptionsError;
    const message = (error as Error).message.replace(/^error: /, '').split('\n')[0];
    stderr.write(`okta-sim: ${message}\n`);
    process.exitCode = usage ? 2 : 1;
    return;
  }
  const stopped = waitForStop(io.signal);
  stdout.write(`${JSON.stringify({ orgs: sim.orgs })}\n`);
  await stopped;
  await sim.close();
}

// Also runnable on its own (`node dist/okta-sim/cli.js ...`), which is how a parent process can spawn it.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runOktaSimCli(process.argv.slice(2));
}
