import { MikroORM, PostgreSqlDriver } from '@mikro-orm/postgresql';
import { KitInvalidOptionsError } from '../errors.ts';
import { KitSession } from './session-entity.ts';
import { KitSigningKey } from './signing-key-entity.ts';

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
   * database is unreachable. A refresh stops at its first failing statement, so once the database
   * stops answering it fails within about this time (a statement already sent gets 500 ms more).
   * @default 2000
   */
  timeoutMs?: number;
}

/**
 * Creates a MikroORM instance (PostgreSQL driver) for the kit alone, with {@link KitSession} and
 * `KitSigningKey` registered and timeouts set so an unreachable database fails fast instead of hanging. Use it
 * when the host does not run MikroORM itself; otherwise add `KitSession` to the host's entities.
 * Close it with `await orm.close()`.
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
  return MikroORM.init({
    driver: PostgreSqlDriver,
    clientUrl: url,
    // Connect on first use: an instance may start while the database is down and recover by itself.
    connect: false,
    entities: [KitSession, KitSigningKey],
    discovery: { warnWhenNoEntities: false },
    allowGlobalContext: false,
    debug: false,
    pool: { min: 0, max: poolSize, idleTimeoutMillis: 30_000 },
    driverOptions: {
      acquireConnectionTimeout: timeoutMs,
      connection: {
        connectionTimeoutMillis: timeoutMs,
        statement_timeout: timeoutMs,
        query_timeout: timeoutMs + 500,
        keepAlive: true,
      },
    },
  });
}
