import { KitInvalidOptionsError, type KitLogger } from '@kit/core';

/** The default `logger`: writes nothing. @internal */
export const SILENT_LOGGER: KitLogger = Object.freeze({
  info() {},
  warn() {},
  error() {},
});

/**
 * Checks a `logger` option once, when the factory runs: a pino-shaped object (`info`, `warn` and
 * `error` taking an object of fields, then a message), or undefined for one that writes nothing.
 *
 * @internal
 */
export function checkLogger(value: unknown, factory: string, options?: object): KitLogger {
  // The `log` line function this option replaced: refused by name rather than silently ignored, so
  // an upgrade cannot lose its failure lines without noticing.
  if (options && (options as { log?: unknown }).log !== undefined) {
    throw new KitInvalidOptionsError(
      `The \`log\` option of ${factory} was replaced by \`logger\` (a pino-shaped object with info, warn and error methods).`,
    );
  }
  if (value === undefined) return SILENT_LOGGER;
  const candidate = value as Partial<Record<keyof KitLogger, unknown>> | null;
  if (
    typeof candidate !== 'object' ||
    candidate === null ||
    typeof candidate.info !== 'function' ||
    typeof candidate.warn !== 'function' ||
    typeof candidate.error !== 'function'
  ) {
    throw new KitInvalidOptionsError(
      `The \`logger\` option of ${factory} must be an object with info, warn and error methods (a pino logger, for example).`,
    );
  }
  return value as KitLogger;
}

/**
 * The fields of a failure line: the error's `code` when it is a short identifier (a kit code, a
 * driver's `ECONNRESET` or SQLSTATE), else its class name. Never its message, which can quote a
 * token or a query's bound values.
 *
 * @internal
 */
export function failureCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(code)) return code;
  const name = error instanceof Error ? error.name : typeof error;
  return /^[A-Za-z0-9_.-]{1,64}$/.test(name) ? name : 'Error';
}

/** Calls the host's logger; a logger that throws does not turn an answer into a crash. @internal */
export function logSafely(log: () => void): void {
  try {
    log();
  } catch {
    // The request is answered all the same.
  }
}
