import { createHash } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { metPooler, namesStatements, type StatementMode } from './connection-mode.ts';
import { type PgQueryResult, withPooledConnection } from './pooled-connection.ts';

/**
 * One SQL statement with bound parameters. Sent named on a connection judged direct, unnamed
 * otherwise: a named prepared statement lives on one server connection, and behind a pooler in
 * transaction mode the next statement may run on another (`prepared statement "..." does not
 * exist`) or collide with another client's (`... already exists`). See connection-mode.ts.
 */
export interface Statement {
  text: string;
  values: unknown[];
}

const modes = new WeakMap<object, StatementMode>();
const names = new Map<string, string>();

/**
 * Makes {@link runStatement} send the statements of `orm` as `mode` says: named on every
 * connection (`preparedStatements: true`) or on those judged direct (the default).
 *
 * @internal
 */
export function useStatementMode(orm: object, mode: StatementMode): void {
  modes.set(orm, mode);
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
 * builder on the hot path, one round trip. On an ORM from `createKitOrm` the statement is named on a
 * connection judged direct (whose session carries the statement timeout), and otherwise unnamed
 * and carrying the server-side statement timeout with it (see connection-mode.ts and
 * statement-timeout.ts), so it is safe behind a pooler in transaction mode. Driver errors become
 * `ERR_STORE_UNAVAILABLE` or `ERR_STORE_FAILURE`, with bound values stripped; after a client-side
 * read timeout the connection is closed, not reused (see pooled-connection.ts).
 *
 * @internal
 */
export async function runStatement(
  orm: MikroORM,
  operation: string,
  statement: Statement,
): Promise<StatementResult> {
  const mode = modes.get(orm);
  return withPooledConnection(orm, operation, async (connection) => {
    if (mode === undefined || !namesStatements(mode, connection)) return connection.query(statement);
    try {
      return await connection.query({ ...statement, name: nameOf(statement.text) });
    } catch (error) {
      // A connection judged direct met a pooler after all (one that passes the backend's process
      // id through): the named statement was refused before it ran. The whole ORM goes
      // pooler-safe for good, and this statement runs once more, unnamed and timed by itself.
      if (mode.always || !metPooler(error)) throw error;
      mode.pooled = true;
      return connection.query(statement);
    }
  });
}
