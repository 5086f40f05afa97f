import { MikroORM, PostgreSqlDriver } from '@mikro-orm/postgresql';
import { KitInvalidOptionsError } from '../errors.ts';
import { type KitLogger, resolveLogger } from '../telemetry/logger.ts';
import { type DetectableClient, detectDirect, statementMode } from './connection-mode.ts';
import { knexLog, mikroOrmLoggerFactory } from './orm-logging.ts';
import { useStatementMode } from './run-statement.ts';
import { KitSession } from './session-entity.ts';
import { KitSigningKey } from './signing-key-entity.ts';
import { type PgClientLike, type PgQueryClass, timeStatements } from './statement-timeout.ts';

/**
 * Options of {@link createKitOrm}.
 */
export interface KitOrmOptions {
  /** A `postgres://` or `postgresql://` connection URL. */
  databaseUrl: string;
  /**
   * Most connections the pool opens.
   * @default 10
   */
  poolSize?: number;
  /**
   * Milliseconds to wait for a connection (opening one, or a free one from the pool) and for a
   * statement, before failing with `ERR_STORE_UNAVAILABLE`. Keeps requests from hanging while the
   * database is unreachable or a row is locked elsewhere. A refresh stops at its first failing
   * statement, so once the database stops answering it fails within about this time.
   *
   * The statement limit is enforced by PostgreSQL itself, so a statement that hangs stops working
   * on the server too. How depends on the connection (see `preparedStatements`): on a direct
   * connection the session's `statement_timeout` is set once, right after connect; through a
   * pooler each statement goes out in one round trip behind
   * `select set_config('statement_timeout', '<timeoutMs>', true)`, a setting local to that
   * statement's transaction, which needs no startup parameter and no session state, so it holds in
   * transaction mode (PgBouncer, Supavisor, Neon's pooler; for RDS Proxy see `statementTimeout`)
   * and never leaks to the pooler's other clients. There, transaction control (`begin`,
   * `commit`...), session commands and several statements sent as one string without parameters go
   * out unchanged; for those, and for a server that stops answering altogether, the client gives up
   * `timeoutMs + 500` ms after sending (`query_timeout`).
   * @default 2000
   */
  timeoutMs?: number;
  /**
   * Whether PostgreSQL enforces `timeoutMs` as the `statement_timeout` of the kit's connections
   * (see `timeoutMs`). Set `false` behind a pooler
   * that pins a client to one server connection as soon as it sees a setting change (RDS Proxy
   * counts `set_config` as one), and set the limit where that pooler wants it instead: on the
   * role (`alter role app set statement_timeout = '2s'`) or in its initialization query. The
   * client-side limit, `timeoutMs + 500` ms, applies either way.
   * @default true
   */
  statementTimeout?: boolean;
  /**
   * How the kit's own statements (rotation, find, touch, rate-limit hit...) go out.
   *
   * - `'auto'`: each new connection is judged once, with one round trip: when `pg_backend_pid()`
   *   equals the process id the server announced at connect, nothing sits in between, and that
   *   connection gets the fast way: `statement_timeout` set once on its session, the kit's
   *   statements sent as named prepared statements, parsed and planned once per connection. A
   *   pooler announces a key of its own (PgBouncer in every pool mode), so its connections get the
   *   pooler-safe way: unnamed statements, each with its transaction-local timeout, no session
   *   state. Should a pooler pass the backend's process id through, its first named statement to
   *   land on another server connection fails before running (SQLSTATE 42P05 or 26000); the ORM
   *   then switches all its connections to the pooler-safe way for good and runs that statement
   *   again, without a restart. Such a pooler keeps the session timeout the fooled connections set.
   *   Behind a pooler that answers `pg_backend_pid()` with the key it announced (ProxySQL does), or
   *   one you do not know, set `false`.
   * - `true`: named statements on every connection, and `statement_timeout` as a startup
   *   parameter. Only for a direct connection or a pooler that tracks prepared statements and
   *   accepts that parameter: a stock PgBouncer refuses it (`unsupported startup parameter`).
   * - `false`: the pooler-safe way on every connection, no detection.
   * @default 'auto'
   */
  preparedStatements?: boolean | 'auto';
  /**
   * Where the lines of knex and MikroORM go (a pino logger fits; the kit's `logger` is a good
   * choice). Each is written as a fixed name, never as the text the library wrote, which can quote
   * a driver's error message or a statement: knex's warnings as `{ source: 'knex', code }` with
   * `code` `connection_error` (a pooled connection found broken, as during an outage, which knex
   * replaces), `pool_validation_failed` or `warning`, its errors and deprecations likewise;
   * MikroORM's warnings, errors and deprecations as `{ source: 'mikro-orm', code: <namespace> }`.
   * Queries and their parameters are never logged.
   * @default nothing is printed (knex would otherwise print `Connection Error: ...` with
   * `console.log` during an outage)
   */
  logger?: KitLogger;
}

/**
 * Creates a MikroORM instance (PostgreSQL driver) for the kit alone, with {@link KitSession} and
 * `KitSigningKey` registered and timeouts set so an unreachable database fails fast instead of hanging. Use it
 * when the host does not run MikroORM itself; otherwise add `KitSession` to the host's entities.
 * By default it works directly and through a connection pooler in transaction mode, telling them
 * apart per connection: named prepared statements and a session timeout on a direct connection;
 * through a pooler no startup parameters, no named prepared statements, no session state (see
 * `preparedStatements`). Close it with `await orm.close()`.
 *
 * @example
 * ```ts
 * import { createKitOrm } from '@kit/core/mikro-orm';
 *
 * const orm = await createKitOrm({ databaseUrl: process.env.DATABASE_URL! });
 * // Behind a pooler known in advance, skip the per-connection check:
 * const pooled = await createKitOrm({ databaseUrl: process.env.POOLER_URL!, preparedStatements: false });
 * ```
 */
export async function createKitOrm(options: KitOrmOptions): Promise<MikroORM> {
  const url = options?.databaseUrl;
  if (typeof url !== 'string' || !/^postgres(ql)?:\/\//.test(url)) {
    throw new KitInvalidOptionsError(
      'createKitOrm needs `databaseUrl`: a postgres:// connection URL (for example from DATABASE_URL).',
    );
  }
  const poolSize = options.poolSize ?? 10;
  if (!Number.isInteger(poolSize) || poolSize < 1 || poolSize > 1000) {
    throw new KitInvalidOptionsError('`poolSize` must be a whole number from 1 to 1000.');
  }
  const timeoutMs = options.timeoutMs ?? 2000;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 100) {
    throw new KitInvalidOptionsError('`timeoutMs` must be a whole number of milliseconds, at least 100.');
  }
  const statementTimeout = options.statementTimeout ?? true;
  if (typeof statementTimeout !== 'boolean') {
    throw new KitInvalidOptionsError('`statementTimeout` must be true or false.');
  }
  const preparedStatements = options.preparedStatements ?? 'auto';
  if (typeof preparedStatements !== 'boolean' && preparedStatements !== 'auto') {
    throw new KitInvalidOptionsError("`preparedStatements` must be 'auto' (the default), true or false.");
  }
  const logger = resolveLogger(options.logger);
  const mode = statementMode(preparedStatements === true);
  // The pg module knex opened the connection with (the host's install may hold several copies).
  let orm: MikroORM | undefined;
  const queryClass = (): PgQueryClass => {
    const knexClient = orm?.em.getConnection().getKnex().client as
      | { driver?: { Query?: PgQueryClass } }
      | undefined;
    const Query = knexClient?.driver?.Query;
    if (typeof Query !== 'function') throw new Error('the pg driver of this MikroORM has no Query class');
    return Query;
  };
  orm = await MikroORM.init({
    driver: PostgreSqlDriver,
    clientUrl: url,
    // Connect on first use: an instance may start while the database is down and recover by itself.
    connect: false,
    entities: [KitSession, KitSigningKey],
    discovery: { warnWhenNoEntities: false },
    allowGlobalContext: false,
    debug: false,
    // The host's logger or nothing: never the console, never a statement or its parameters.
    loggerFactory: mikroOrmLoggerFactory(logger),
    pool: {
      min: 0,
      max: poolSize,
      idleTimeoutMillis: 30_000,
      // Each new connection is judged (preparedStatements 'auto'): direct, it gets the statement
      // timeout once on its session and named statements; through a pooler, the timeout with each
      // statement, no startup parameter and no session state (see connection-mode.ts).
      afterCreate(connection: PgClientLike, done: (error: Error | null, connection: PgClientLike) => void) {
        const fail = (error: unknown) => {
          // knex leaves a connection whose afterCreate failed open: close it here.
          (connection as { end?(): Promise<void> }).end?.().catch(() => undefined);
          done(error instanceof Error ? error : new Error(String(error)), connection);
        };
        try {
          // preparedStatements: true carries the timeout in the startup parameter below.
          if (preparedStatements === true) return done(null, connection);
          if (preparedStatements === false) {
            if (statementTimeout) timeStatements(connection, queryClass(), timeoutMs);
            return done(null, connection);
          }
          const Query = statementTimeout ? queryClass() : undefined;
          detectDirect(
            connection as unknown as DetectableClient,
            statementTimeout ? timeoutMs : undefined,
          ).then((direct) => {
            try {
              if (direct) mode.direct.add(connection);
              // A direct connection times statements itself only once the ORM has met a pooler.
              if (Query) timeStatements(connection, Query, timeoutMs, direct ? () => mode.pooled : undefined);
              done(null, connection);
            } catch (error) {
              fail(error);
            }
          }, fail);
        } catch (error) {
          fail(error);
        }
      },
    },
    driverOptions: {
      log: knexLog(logger),
      acquireConnectionTimeout: timeoutMs,
      connection: {
        connectionTimeoutMillis: timeoutMs,
        ...(statementTimeout && preparedStatements === true ? { statement_timeout: timeoutMs } : {}),
        query_timeout: timeoutMs + 500,
        keepAlive: true,
      },
    },
  });
  if (preparedStatements !== false) useStatementMode(orm, mode);
  return orm;
}
