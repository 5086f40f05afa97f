import { MikroORM, PostgreSqlDriver } from '@mikro-orm/postgresql';
import { KitInvalidOptionsError } from '../errors.ts';
import { prepareStatementsOf } from './run-statement.ts';
import { KitSession } from './session-entity.ts';
import { KitSigningKey } from './signing-key-entity.ts';
import { type PgClientLike, type PgQueryClass, timeStatements } from './statement-timeout.ts';

/**
 * Options of {@link createKitOrm}.
 *
 * @example
 * ```ts
 * const options: KitOrmOptions = { databaseUrl: 'postgres://postgres@127.0.0.1:5432/app', poolSize: 20 };
 * ```
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
   * on the server too: each statement goes out in one round trip behind
   * `select set_config('statement_timeout', '<timeoutMs>', true)`, a setting local to that
   * statement's transaction. It needs no startup parameter and no session state, so it holds
   * through a pooler in transaction mode (PgBouncer, Supavisor, Neon's pooler; for RDS Proxy see
   * `statementTimeout`) and never leaks to the pooler's other clients. Transaction control
   * (`begin`, `commit`...), session commands and several statements sent as one string without
   * parameters go out unchanged; for those, and for a server that stops answering altogether, the
   * client gives up `timeoutMs + 500` ms after sending (`query_timeout`).
   * @default 2000
   */
  timeoutMs?: number;
  /**
   * Whether PostgreSQL enforces `timeoutMs` as each statement's `statement_timeout` (see
   * `timeoutMs`, and `preparedStatements` for direct connections). Set `false` behind a pooler
   * that pins a client to one server connection as soon as it sees a setting change (RDS Proxy
   * counts `set_config` as one), and set the limit where that pooler wants it instead: on the
   * role (`alter role app set statement_timeout = '2s'`) or in its initialization query. The
   * client-side limit, `timeoutMs + 500` ms, applies either way.
   * @default true
   */
  statementTimeout?: boolean;
  /**
   * For a direct connection to PostgreSQL, no pooler in between: the kit's own statements
   * (rotation, find, touch, rate-limit hit...) are sent as named prepared statements, parsed and
   * planned once per connection, and the statement timeout is set once per connection, as the
   * `statement_timeout` startup parameter, instead of with each statement. Each statement then
   * costs the server less, which shows at low concurrency (see the rotation figures in the
   * operations guide). Through a pooler it fails: PgBouncer refuses the startup parameter
   * (`unsupported startup parameter`), and in transaction mode named statements collide between
   * clients (`prepared statement "..." already exists`).
   * @default false
   */
  preparedStatements?: boolean;
}

/**
 * Creates a MikroORM instance (PostgreSQL driver) for the kit alone, with {@link KitSession} and
 * `KitSigningKey` registered and timeouts set so an unreachable database fails fast instead of hanging. Use it
 * when the host does not run MikroORM itself; otherwise add `KitSession` to the host's entities.
 * By default it works directly and through a connection pooler in transaction mode: no startup
 * parameters, no named prepared statements, no session state (`preparedStatements` trades that
 * for less work per statement on a direct connection). Close it with `await orm.close()`.
 *
 * Exported from `@kit/core/mikro-orm`.
 *
 * @example
 * ```ts
 * import { createKitOrm } from '@kit/core/mikro-orm';
 *
 * const orm = await createKitOrm({ databaseUrl: process.env.DATABASE_URL! });
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
  const preparedStatements = options.preparedStatements ?? false;
  if (typeof preparedStatements !== 'boolean') {
    throw new KitInvalidOptionsError('`preparedStatements` must be true or false.');
  }
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
    pool: {
      min: 0,
      max: poolSize,
      idleTimeoutMillis: 30_000,
      // Every new connection carries the statement timeout per statement (see `timeoutMs`): no
      // startup parameter, which a stock PgBouncer refuses, and no session state.
      afterCreate(connection: PgClientLike, done: (error: Error | null, connection: PgClientLike) => void) {
        try {
          // With preparedStatements the startup parameter below carries the timeout instead.
          if (statementTimeout && !preparedStatements) timeStatements(connection, queryClass(), timeoutMs);
          done(null, connection);
        } catch (error) {
          done(error as Error, connection);
        }
      },
    },
    driverOptions: {
      acquireConnectionTimeout: timeoutMs,
      connection: {
        connectionTimeoutMillis: timeoutMs,
        ...(statementTimeout && preparedStatements ? { statement_timeout: timeoutMs } : {}),
        query_timeout: timeoutMs + 500,
        keepAlive: true,
      },
    },
  });
  if (preparedStatements) prepareStatementsOf(orm);
  return orm;
}
