import { ConfigError, UsageError, ValidationError, isOktaSyncError, NotFoundError } from '../shared/errors.js';

/** Exit codes of the CLI contract. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** Prints one line for an error and returns the exit code it deserves. Never prints a stack for input errors. */
export function reportError(error: unknown, stderr: NodeJS.WritableStream = process.stderr): number {
  if (error instanceof ConfigError || error instanceof UsageError || error instanceof ValidationError) {
    stderr.write(`okta-sync: ${error.message}\n`);
    return EXIT.usage;
  }
  if (error instanceof NotFoundError) {
    stderr.write(`okta-sync: ${error.message}\n`);
    return EXIT.failed;
  }
  if (isOktaSyncError(error)) {
    stderr.write(`okta-sync: ${error.code}: ${error.message}\n`);
    return EXIT.failed;
  }
  const message = error instanceof Error ? error.message : String(error);
  stderr.write(`okta-sync: ${message}\n`);
  return EXIT.failed;
}
