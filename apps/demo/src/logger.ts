import { type DestinationStream, type Logger, pino } from 'pino';

/** The demo's logger: pino, one JSON object per line. */
export type DemoLogger = Logger;

/**
 * Fields that would hold token material or credentials if a line ever carried them: pino replaces
 * their values, at the top level and one object down. No line the demo or the kit writes has such
 * a field (they log codes and ids only); this is the net under that rule, not the rule.
 */
const REDACTED_FIELDS = [
  'access_token',
  'refresh_token',
  'token',
  'password',
  'secret',
  'authorization',
  'cookie',
  'dpop',
];

/**
 * The demo's JSON logger: pino writing one line per entry to `destination` (standard output by
 * default, synchronously, so a line written just before the process exits is not lost), with the
 * level as a word (`"level":"info"`), the time in ISO 8601, and the fields of
 * {@link REDACTED_FIELDS} replaced by `[redacted]` wherever they appear.
 *
 * The kit gets a child with `component: "kit"` (its `logger` option); the demo's own lines carry
 * `component: "demo"`.
 *
 * @example
 * ```ts
 * const logger = createDemoLogger();
 * logger.info({ component: 'demo' }, 'rate limits in PostgreSQL (kit_rate_limits)');
 * // {"level":"info","time":"2026-…","pid":1,"hostname":"…","component":"demo","msg":"rate limits in PostgreSQL (kit_rate_limits)"}
 * ```
 */
export function createDemoLogger(destination?: DestinationStream): DemoLogger {
  return pino(
    {
      formatters: { level: (label) => ({ level: label }) },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: REDACTED_FIELDS.flatMap((field) => [field, `*.${field}`]),
        censor: '[redacted]',
      },
    },
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

/**
 * What a failure line says about an error: its `code` when it has a plain one, otherwise its class
 * name. Never its message, which can quote input, a connection string or a token.
 */
export function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(code)) return code;
  return error instanceof Error ? error.name : typeof error;
}
