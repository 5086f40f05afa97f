import { KitInvalidOptionsError } from '../errors/kit-error.ts';

/**
 * Where the kit writes the few lines it logs: a store that failed, a listener that threw, keys that
 * did not reload. Shaped like pino's (an object of fields first, then a message), so a pino logger,
 * or a child of one, is passed as it is; so can any object with these three methods.
 *
 * The kit never logs unasked: with no `logger` option nothing is written anywhere. Every failure line
 * carries the error's `code` (or its class name when it has none); no line carries a token, a secret,
 * a key, a hash or an error message, which could quote any of them.
 *
 * @example
 * ```ts
 * import pino from 'pino';
 * const kit = await createAuthKit({ ...options, logger: pino().child({ module: 'kit' }) });
 * ```
 */
export interface KitLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/** The default: writes nothing. @internal */
export const silentLogger: KitLogger = Object.freeze({
  info() {},
  warn() {},
  error() {},
});

/**
 * A {@link KitLogger} that writes one JSON line per entry to standard error, for a host that wants
 * the kit's lines without a logging library.
 */
export const consoleLogger: KitLogger = Object.freeze({
  info: (fields: Record<string, unknown>, message: string) => writeLine('info', fields, message),
  warn: (fields: Record<string, unknown>, message: string) => writeLine('warn', fields, message),
  error: (fields: Record<string, unknown>, message: string) => writeLine('error', fields, message),
});

function writeLine(level: string, fields: Record<string, unknown>, message: string): void {
  console.error(JSON.stringify({ level, time: Date.now(), ...fields, msg: message }));
}

/**
 * Checks a `logger` option once, at construction: an object with `info`, `warn` and `error`
 * functions, or undefined for {@link silentLogger}.
 *
 * @internal
 */
export function resolveLogger(value: unknown, option = 'logger'): KitLogger {
  if (value === undefined) return silentLogger;
  const candidate = value as Partial<Record<keyof KitLogger, unknown>> | null;
  if (
    typeof candidate !== 'object' ||
    candidate === null ||
    typeof candidate.info !== 'function' ||
    typeof candidate.warn !== 'function' ||
    typeof candidate.error !== 'function'
  ) {
    return invalid(option);
  }
  return safeLogger(value as KitLogger);
}

/**
 * The host's logger behind a guard: a logger that throws never fails the operation that logged,
 * nor escapes from an event listener's or a timer's callback as an unhandled rejection.
 */
function safeLogger(logger: KitLogger): KitLogger {
  const guard =
    (level: keyof KitLogger) =>
    (fields: Record<string, unknown>, message: string): void => {
      try {
        logger[level](fields, message);
      } catch {
        // Nowhere left to report it: the logger is the place failures go.
      }
    };
  return Object.freeze({ info: guard('info'), warn: guard('warn'), error: guard('error') });
}

function invalid(option: string): never {
  throw new KitInvalidOptionsError(
    `The \`${option}\` option must be an object with info, warn and error methods (a pino logger, for example).`,
  );
}

/** What a code or class name may look like to be logged: never free text. */
const SAFE_CODE = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * The fields of a failure line: the error's code, or its class name when it has none. Never its
 * message.
 *
 * @internal
 */
export function errorFields(error: unknown): { code: string } {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && SAFE_CODE.test(code)) return { code };
  if (error instanceof Error) return { code: SAFE_CODE.test(error.name) ? error.name : 'Error' };
  return { code: typeof error };
}
