import { clipText } from './clip-text.js';

/**
 * The project's error hierarchy. Every error carries a stable string `code` that callers
 * branch on, optional context, and the original `cause`. Messages never contain secrets and are
 * at most 2 KiB (`clipText`): they end up in run records, queue jobs and log lines.
 */
export class OktaSyncError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(clipText(message), options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A setting in the environment is missing or malformed. The process exits 2. */
export class ConfigError extends OktaSyncError {
  readonly variable: string;
  constructor(variable: string, message: string) {
    super('config_invalid', `${variable}: ${message}`);
    this.variable = variable;
  }
}

/** Bad command-line usage or input. The CLI exits 2. */
export class UsageError extends OktaSyncError {
  constructor(message: string) {
    super('bad_usage', message);
  }
}

/** A value failed validation; `fields` maps a field path to what is wrong with it. */
export class ValidationError extends OktaSyncError {
  readonly fields: Record<string, string>;
  constructor(message: string, fields: Record<string, string> = {}) {
    super('validation_failed', message);
    this.fields = fields;
  }
}

export class NotFoundError extends OktaSyncError {
  constructor(what: string) {
    super('not_found', `${what} not found`);
  }
}

/**
 * A run's pagination does not converge: a cursor seen before in the chain, pages that bring
 * nothing new, or more pages than `OKTA_SYNC_MAX_PAGES_PER_RUN`. The run fails for good.
 */
export class PaginationLoopError extends OktaSyncError {
  constructor(message: string) {
    super('pagination_loop', message);
  }
}

/** Turns anything thrown into an Error, keeping the original as `cause`. */
export function coerceError(value: unknown): Error {
  if (value instanceof Error) return value;
  return new Error(typeof value === 'string' ? value : 'Non-error thrown', { cause: value });
}

export function isOktaSyncError(value: unknown): value is OktaSyncError {
  return value instanceof OktaSyncError;
}
