import { isIP } from 'node:net';
import { Command } from 'commander';
import type { Config } from '../shared/config.js';
import { UsageError } from '../shared/errors.js';
import { reportError } from './exit.js';
import { createLogger } from '../shared/logger.js';
import { startApi } from '../producer/api/start-api.js';

/**
 * `okta-sync api [--port 3000] [--host 0.0.0.0]`: the producer HTTP API with /metrics and /admin/queues.
 * Refuses to start without OKTA_SYNC_API_KEYS (exit 2). SIGTERM/SIGINT stop taking requests and
 * finish in-flight ones; a second signal forces.
 */
export function apiCommand(config: () => Config, onExit: (code: number) => void): Command {
  return new Command('api')
    .description('run the producer HTTP API (+ /metrics, /docs and Bull Board at /admin/queues)')
    .option('--port <n>', 'port to listen on', '3000')
    .option('--host <address>', 'interface to listen on (0.0.0.0 = all, as in the container; 127.0.0.1 = this machine only)', '0.0.0.0')
    .action(async (o: { port: string; host: string }) => {
      const port = Number(o.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port takes a whole number from 0 to 65535');
      if (!isIP(o.host) && o.host !== 'localhost') throw new UsageError('--host takes an IP address (e.g. 0.0.0.0, 127.0.0.1, ::) or localhost');
      const cfg = config();
      const logger = createLogger({ level: cfg.logLevel, name: 'api' });
      const handle = await startApi(cfg, {
        port,
        host: o.host,
        logger,
        // A refused shard count (OKTA_SYNC_QUEUE_SHARDS changed with jobs pending): one line, exit 2.
        onFatal: (error) => onExit(reportError(error)),
      });
      let signals = 0;
      const stop = (signal: string) => {
        signals++;
        if (signals > 1) {
          logger.warn({ signal }, 'second signal: forcing exit');
          onExit(1);
          return;
        }
        logger.info({ signal }, 'api stopping');
        void handle.close().then(
          () => onExit(0),
          () => onExit(1),
        );
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    });
}
