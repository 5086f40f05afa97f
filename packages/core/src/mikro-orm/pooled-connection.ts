import type { MikroORM } from '@mikro-orm/postgresql';
import { toStoreError } from './errors.ts';

/** What a statement sent on a raw `pg` connection may carry. */
export interface PgQueryConfig {
  text: string;
  values?: unknown[];
  /** A named prepared statement (see run-statement.ts). */
  name?: string;
  /** `'simple'`: the simple protocol, which the statement-timeout pipeline leaves alone. */
  queryMode?: 'simple';
  /** A client-side timeout in milliseconds for this statement, instead of the connection's. */
  query_timeout?: number;
}

/** What a statement returns: the `pg` result's rows and count. */
export interface PgQueryResult {
  rows: Record<string, unknown>[];
  rowCount: number | null;
}

/** A raw `pg.Client`, as far as the kit touches it. */
export interface PgConnection {
  query(config: PgQueryConfig): Promise<PgQueryResult>;
}

/** The parts of a `pg.Client` that disposing of one needs (pg/lib/client.js, knex's pg dialect). */
interface RawConnection extends PgConnection {
  /** knex's mark: its pool's `validate` refuses a connection that carries it, and destroys it. */
  __knex__disposed?: unknown;
  connection?: { stream?: { resetAndDestroy?(): unknown; destroy(): unknown } };
  end(): Promise<void>;
}

/** knex's client (knex/lib/client.js and its postgres dialect). */
interface KnexClient {
  acquireConnection(): Promise<RawConnection>;
  releaseConnection(connection: RawConnection): Promise<unknown>;
  /** A new connection, opened with the pool's settings but outside the pool. */
  acquireRawConnection(): Promise<RawConnection>;
  destroyRawConnection(connection: RawConnection): Promise<unknown>;
}

/** A connection held by the kit until `release`. */
export interface ConnectionLease {
  connection: PgConnection;
  /**
   * Gives the connection back: to the pool, or closed when it came from outside the pool. Pass
   * the error a statement failed with: after a client-side read timeout the connection is closed
   * and never reused (see {@link isReadTimeout}). Never rejects.
   */
  release(error?: unknown): Promise<void>;
}

/**
 * Whether `error` is pg's client-side `query_timeout` ("Query read timeout", which `toStoreError`
 * names `QueryReadTimeout`). It rejects the caller's promise but leaves the statement active on
 * the connection: the statement may still be waiting in a pooler's queue (PgBouncer holds it up
 * to `query_wait_timeout`, 120 s by default) or on a silent network, and would run and commit
 * later, after the caller was told it failed (a rotation answered 503 that commits after all, so
 * the client's retry counts as reuse). Such a connection must not run anything else.
 */
export function isReadTimeout(error: unknown): boolean {
  return error instanceof Error && /Query read timeout/.test(error.message);
}

function knexClientOf(orm: MikroORM): KnexClient {
  return orm.em.getConnection().getKnex().client as unknown as KnexClient;
}

/**
 * Closes `connection` at once, so whatever it still has in flight goes with it: a pooler drops
 * the queued statement of a client that left, and the server ends the session of one whose socket
 * closed. A TCP reset, not a FIN: bytes not yet sent are discarded rather than delivered first.
 */
async function abort(connection: RawConnection): Promise<void> {
  connection.__knex__disposed = 'closed by the kit after a client-side read timeout';
  try {
    const stream = connection.connection?.stream;
    if (typeof stream?.resetAndDestroy === 'function') stream.resetAndDestroy();
    // Marks the client as ending (no 'error' event for the query it drops) and destroys the socket.
    await connection.end();
  } catch {
    // Already closed.
  }
}

/** How long a graceful close of a connection opened outside the pool may take. */
const CLOSE_WAIT_MS = 1_000;

/**
 * Closes a connection opened outside the pool: gracefully (a Terminate message), but when the
 * server does not answer within `waitMs` (a network gone silent would never confirm the close) its
 * socket is destroyed, so `release` never hangs.
 */
async function closeWithin(client: KnexClient, connection: RawConnection, waitMs: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const waited = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, waitMs);
    (timer as { unref?: () => void }).unref?.();
  });
  await Promise.race([client.destroyRawConnection(connection).catch(() => undefined), waited]);
  clearTimeout(timer);
  connection.connection?.stream?.destroy();
}

/**
 * Takes a connection of the ORM's knex pool (or, with `dedicated`, opens one outside the pool,
 * closed again at `release`). A failure to get one becomes `ERR_STORE_UNAVAILABLE` or
 * `ERR_STORE_FAILURE` (see errors.ts).
 *
 * @internal
 */
export async function leaseConnection(
  orm: MikroORM,
  operation: string,
  { dedicated = false }: { dedicated?: boolean } = {},
): Promise<ConnectionLease> {
  let client: KnexClient;
  let connection: RawConnection;
  try {
    client = knexClientOf(orm);
    connection = dedicated ? await client.acquireRawConnection() : await client.acquireConnection();
  } catch (error) {
    throw toStoreError(error, operation);
  }
  let released = false;
  return {
    connection,
    async release(error?: unknown) {
      if (released) return;
      released = true;
      if (isReadTimeout(error)) await abort(connection);
      if (dedicated) {
        await closeWithin(client, connection, CLOSE_WAIT_MS);
      } else {
        // A connection marked disposed is refused by the pool's validation at its next acquire and
        // destroyed; it is never handed out again.
        await client.releaseConnection(connection).catch(() => undefined);
      }
    },
  };
}

/**
 * Runs `fn` with a connection of the ORM's knex pool, straight on the `pg` driver, and gives the
 * connection back, also when `fn` fails. Any error becomes `ERR_STORE_UNAVAILABLE` or
 * `ERR_STORE_FAILURE` for `operation`, with bound values stripped (see errors.ts). After pg's
 * client-side read timeout the connection is closed instead of going back to the pool, so the
 * statement it still holds can neither run later nor delay the next caller.
 *
 * @internal
 */
export async function withPooledConnection<T>(
  orm: MikroORM,
  operation: string,
  fn: (connection: PgConnection) => Promise<T>,
): Promise<T> {
  const lease = await leaseConnection(orm, operation);
  let failure: unknown;
  try {
    return await fn(lease.connection);
  } catch (error) {
    failure = error;
    throw toStoreError(error, operation);
  } finally {
    await lease.release(failure);
  }
}
