import type { LogContext, Logger, LoggerNamespace } from '@mikro-orm/core';
import type { KitLogger } from '../telemetry/logger.ts';

/** What knex's `log` option takes: one function per level, each given the line knex would print. */
export interface KnexLog {
  warn(message: unknown): void;
  error(message: unknown): void;
  deprecate(message: unknown): void;
  debug(message: unknown): void;
}

/**
 * knex's `log` option for the kit's ORM: its lines go to `logger` as a fixed name, never as the
 * text knex wrote, which can quote a driver's error message or a statement and its parameters.
 * Without these functions knex prints with `console.log` (during an outage, `Connection Error:
 * Connection ended unexpectedly` once per dropped connection).
 *
 * - warn: `{ source: 'knex', code: 'connection_error' }` for a pooled connection found broken
 *   (knex then opens another), `'pool_validation_failed'`, or else `'warning'`.
 * - error: `{ source: 'knex', code: 'error' }`; deprecate: `{ source: 'knex', code: 'deprecation' }`
 *   at warn level.
 * - debug (each query with its bindings, only when knex's own debug mode is on): never written.
 *
 * @internal
 */
export function knexLog(logger: KitLogger): KnexLog {
  return {
    warn: (message) =>
      logger.warn({ source: 'knex', code: knexWarning(message) }, 'kit: database client warning'),
    error: () => logger.error({ source: 'knex', code: 'error' }, 'kit: database client error'),
    deprecate: () => logger.warn({ source: 'knex', code: 'deprecation' }, 'kit: database client deprecation'),
    // Queries and their parameters: never logged.
    debug: () => undefined,
  };
}

function knexWarning(message: unknown): string {
  if (typeof message !== 'string') return 'warning';
  // Matched on knex's own fixed prefixes; nothing after them is kept.
  if (message.startsWith('Connection Error:')) return 'connection_error';
  if (message.startsWith('Pool validate threw')) return 'pool_validation_failed';
  return 'warning';
}

const LABEL = /^[A-Za-z0-9_-]{1,32}$/;

/**
 * MikroORM's `loggerFactory` for the kit's ORM: warnings, errors and deprecations go to `logger`
 * as `{ source: 'mikro-orm', code: <namespace> }` (with a deprecation's `label`, such as `D0001`),
 * never the message; queries, their parameters and debug output are never logged. Without it,
 * MikroORM prints its deprecation warnings with `console.log`.
 *
 * @internal
 */
export function mikroOrmLoggerFactory(logger: KitLogger): () => Logger {
  const write = (namespace: string, context: LogContext | undefined) => {
    const fields: Record<string, string> = { source: 'mikro-orm', code: safeName(namespace) };
    if (typeof context?.label === 'string' && LABEL.test(context.label)) fields.label = context.label;
    if (context?.level === 'error') logger.error(fields, 'kit: ORM error');
    else if (context?.level === 'warning' || namespace === 'deprecated')
      logger.warn(fields, 'kit: ORM warning');
    // Info and debug lines (discovery, schema, queries) are dropped, as MikroORM drops them
    // itself outside its debug mode.
  };
  const ormLogger: Logger = {
    log: (namespace, _message, context) => write(namespace, context),
    error: (namespace, _message, context) => write(namespace, { ...context, level: 'error' }),
    warn: (namespace, _message, context) => write(namespace, { ...context, level: 'warning' }),
    logQuery: () => undefined,
    setDebugMode: () => undefined,
    // Tells MikroORM not to build query lines at all.
    isEnabled: (namespace: LoggerNamespace) => namespace === 'deprecated',
  };
  return () => ormLogger;
}

function safeName(namespace: string): string {
  return LABEL.test(namespace) ? namespace : 'other';
}
