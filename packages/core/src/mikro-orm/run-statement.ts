import type { MikroORM } from '@mikro-orm/postgresql';
import { toStoreError } from './errors.ts';

/**
 * One SQL statement with bound parameters. Deliberately unnamed: a named prepared statement lives
 * on one server connection, and behind a pooler in transaction mode the next statement may run on
 * another (`prepared statement "..." does not exist`) or collide with another client's
 * (`... already exists`).
 */
export interface Statement {
  text: string;
  values: unknown[];
}

/** What a statement returns: the `pg` result's rows and count. */
export interface StatementResult {
  rows: Record<string, unknown>[];
  rowCount: number | null;
}

interface PgConnection {
  query(statement: Statement): Promise<StatementResult>;
}

interface KnexClient {
  acquireConnection(): Promise<PgConnection>;
  releaseConnection(connection: PgConnection): Promise<unknown>;
}

/**
 * Runs one statement on a connection of the ORM's pool, straight through the `pg` driver: bound
 * parameters (never formatted into the SQL text, so they cannot reach a query log), no query
 * builder on the hot path, one round trip. On an ORM from `createKitOrm` the statement carries the
 * server-side statement timeout with it (see statement-timeout.ts), so it is safe behind a pooler
 * in transaction mode. Driver errors become `ERR_STORE_UNAVAILABLE` or `ERR_STORE_FAILURE`, with
 * bound values stripped.
 *
 * @internal
 */
export async function runStatement(
  orm: MikroORM,
  operation: string,
  statement: Statement,
): Promise<StatementResult> {
  let client: KnexClient;
  let connection: PgConnection;
  try {
    client = orm.em.getConnection().getKnex().client as unknown as KnexClient;
    connection = await client.acquireConnection();
  } catch (error) {
    throw toStoreError(error, operation);
  }
  try {
    return await connection.query(statement);
  } catch (error) {
    throw toStoreError(error, operation);
  } finally {
    await client.releaseConnection(connection).catch(() => undefined);
  }
}
