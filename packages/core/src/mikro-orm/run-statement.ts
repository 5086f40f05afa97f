import { createHash } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { type PgQueryResult, withPooledConnection } from './pooled-connection.ts';

/**
 * One SQL statement with bound parameters. Sent unnamed by default: a named prepared statement
 * lives on one server connection, and behind a pooler in transaction mode the next statement may
 * run on another (`prepared statement "..." does not exist`) or collide with another client's
 * (`... already exists`). See {@link prepareStatementsOf}.
 */
export interface Statement {
  text: string;
  values: unknown[];
}

const preparing = new WeakSet<object>();
const names = new Map<string, string>();

/**
 * Makes {@link runStatement} send the statements of `orm` as named prepared statements, parsed and
 * planned once per connection (`createKitOrm({ preparedStatements: true })`). Only for a direct
 * connection, or a pooler that tracks prepared statements.
 *
 * @internal
 */
export function prepareStatementsOf(orm: object): void {
  preparing.add(orm);
}

/** A stable name per statement text: the texts are the store's constants, so the set is small. */
function nameOf(text: string): string {
  let name = names.get(text);
  if (name === undefined) {
    name = `kit_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
    names.set(text, name);
  }
  return name;
}

/** What a statement returns: the `pg` result's rows and count. */
export type StatementResult = PgQueryResult;

/**
 * Runs one statement on a connection of the ORM's pool, straight through the `pg` driver: bound
 * parameters (never formatted into the SQL text, so they cannot reach a query log), no query
 * builder on the hot path, one round trip. On an ORM from `createKitOrm` the statement carries the
 * server-side statement timeout with it (see statement-timeout.ts), so it is safe behind a pooler
 * in transaction mode. Driver errors become `ERR_STORE_UNAVAILABLE` or `ERR_STORE_FAILURE`, with
 * bound values stripped; after a client-side read timeout the connection is closed, not reused
 * (see pooled-connection.ts).
 *
 * @internal
 */
export async function runStatement(
  orm: MikroORM,
  operation: string,
  statement: Statement,
): Promise<StatementResult> {
  return withPooledConnection(orm, operation, (connection) =>
    connection.query(preparing.has(orm) ? { ...statement, name: nameOf(statement.text) } : statement),
  );
}
