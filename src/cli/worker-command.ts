import { Command } from 'commander';
import type { Config } from '../shared/config.js';
import { UsageError } from '../shared/errors.js';
import { createLogger, type Logger } from '../shared/logger.js';
import { startWorker, type WorkerHandle } from '../workers/start-worker.js';

/**
 * `okta-sync worker`: one worker process. The first SIGTERM/SIGINT drains: readiness goes false,
 * the worker stops taking jobs, in-flight jobs finish within SHUTDOWN_GRACE_MS, then Redis, the
 * store and telemetry close in reverse order and the process exits 0. A second signal, or the
 * grace running out, exits 1 at once: jobs still in flight keep their lock until it expires and
 * are then picked up by another worker (pages are idempotent, so nothing is lost or doubled).
 */
export function workerCommand(config: () => Config, onExit: (code: number) => void): Command {
  return new Command('worker')
    .description('run a BullMQ worker process (run N replicas to scale out)')
    .option('--concurrency <n>', 'jobs at once in this process (default WORKER_CONCURRENCY)')
    .action(async (o: { concurrency?: string }) => {
      const cfg = config();
      const concurrency = o.concurrency === undefined ? cfg.workerConcurrency : Number(o.concurrency);
      if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 1000) {
        throw new UsageError('--concurrency takes a whole number from 1 to 1000');
      }
      const logger = createLogger({ level: cfg.logLevel, name: 'worker' });
      // A signal while starting (e.g. waiting for an unreachable Redis) exits at once: no job is
      // in flight yet, and startup may be stuck on a dependency that never answers.
      let onSignal = (signal: NodeJS.Signals) => {
        logger.warn({ signal }, 'signal while starting: exiting');
        onExit(1);
      };
      process.on('SIGTERM', () => onSignal('SIGTERM'));
      process.on('SIGINT', () => onSignal('SIGINT'));
      const handle = await startWorker(cfg, { concurrency, logger });
      onSignal = drainOnSignal(handle, cfg.shutdownGraceMs, logger, onExit);
    });
}

/** The signal handler of a started worker: the first signal drains, the second forces. */
export function drainOnSignal(handle: WorkerHandle, graceMs: number, logger: Logger, onExit: (code: number) => void): (signal: NodeJS.Signals) => void {
  let signals = 0;
  return (signal) => {
    signals++;
    if (signals > 1) {
      logger.warn({ signal }, 'second signal: exiting now; jobs in flight will be picked up by another worker');
      onExit(1);
      return;
    }
    const started = Date.now();
    logger.info({ signal, graceMs, active: activeJobs(handle) }, 'draining: not taking new jobs');
    const force = setTimeout(() => {
      logger.warn({ graceMs, active: activeJobs(handle) }, 'grace period over: exiting with jobs in flight; another worker picks them up');
      onExit(1);
    }, graceMs);
    force.unref();
    handle.close().then(
      () => {
        clearTimeout(force);
        logger.info({ drainMs: Date.now() - started }, 'drained and closed');
        onExit(0);
      },
      (error: unknown) => {
        clearTimeout(force);
        logger.error({ err: { message: (error as Error).message } }, 'error while closing');
        onExit(1);
      },
    );
  };
}

function activeJobs(handle: WorkerHandle): number | undefined {
  // BullMQ keeps no public count of running jobs; the private field is read for the log line only.
  let active = 0;
  for (const worker of handle.workers) {
    const jobs = (worker as unknown as { jobsInProgress?: Set<unknown> }).jobsInProgress;
    if (!(jobs instanceof Set)) return undefined;
    active += jobs.size;
  }
  return active;
}
