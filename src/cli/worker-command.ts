import { Command } from 'commander';
import type { Config } from '../shared/config.js';
import { UsageError } from '../shared/errors.js';
import { createLogger } from '../shared/logger.js';
import { startWorker } from '../workers/start-worker.js';

/**
 * `okta-sync worker`: one worker process. SIGTERM/SIGINT drain (stop taking jobs, finish in-flight
 * ones within SHUTDOWN_GRACE_MS); a second signal forces.
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
      const handle = await startWorker(cfg, { concurrency, logger });
      let signals = 0;
      const stop = (signal: string) => {
        signals++;
        if (signals > 1) {
          logger.warn({ signal }, 'second signal: forcing exit');
          onExit(1);
          return;
        }
        logger.info({ signal, graceMs: cfg.shutdownGraceMs }, 'draining');
        const force = setTimeout(() => {
          logger.warn('grace period over: closing with jobs in flight');
          void handle.close(true).finally(() => onExit(1));
        }, cfg.shutdownGraceMs);
        force.unref();
        void handle.close().then(
          () => onExit(0),
          () => onExit(1),
        );
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    });
}
