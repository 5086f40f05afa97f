import type { MikroORM } from '@mikro-orm/postgresql';
import { toStoreError } from './errors.ts';

/** One SQL statement with bound parameters; `name` makes it a per-connection prepared statement. */
export interface Statement {
  name?: string;
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
 * builder on the hot path. Driver errors become `ERR_STORE_UNAVAILABLE` or `ERR_STORE_FAILURE`,
 * with bound values stripped.
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
