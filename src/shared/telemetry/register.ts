/**
 * Loaded first by `bin/okta-sync`, before any instrumented module. Tracing starts here when the
 * OTEL_* settings configure an exporter or `OKTA_SYNC_TRACE_FILE` is set; otherwise nothing of
 * the SDK is loaded. Bad settings are left to the command, which reports them in one line.
 */
import { type Config, readConfig } from '../config.js';
import { ConfigError } from '../errors.js';

let config: Config | undefined;
try {
  config = readConfig();
} catch {
  config = undefined;
}

if (config && (config.otelEnabled || config.traceFile)) {
  try {
    const { startTracing } = await import('./tracing.js');
    await startTracing(config, processRole(process.argv[2]));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`okta-sync: ${error.message}\n`);
    process.exit(2);
  }
}

/** `service.name` suffix: the long-running processes by name, every other command as `cli`. */
function processRole(command: string | undefined): string {
  return command === 'api' || command === 'worker' || command === 'demo' || command === 'okta-sim' ? command : 'cli';
}
