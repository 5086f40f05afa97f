/**
 * Which way an ORM from `createKitOrm` sends the kit's statements, decided per connection.
 *
 * - **Direct** (the client talks to the PostgreSQL backend itself): `statement_timeout` is set once
 *   on the session right after connect, and the kit's own statements go out as named prepared
 *   statements, parsed and planned once per connection.
 * - **Pooler-safe** (anything else): unnamed statements, each preceded in the same round trip by a
 *   transaction-local `set_config('statement_timeout', ...)` (statement-timeout.ts), no session
 *   state.
 *
 * How a connection is judged: at connect PostgreSQL announces the backend's process id in
 * BackendKeyData (`pg.Client#processID`); `select pg_backend_pid()` then asks the backend that
 * actually runs the statement. A pooler answers the startup itself and announces a cancel key of
 * its own (PgBouncer, in every pool mode: a random one), so the two differ; equal means no pooler in
 * between. One round trip per new connection, none per statement.
 *
 * A pooler that passed the backend's pid through would be judged direct. Its first named statement
 * that lands on another server connection then fails with `prepared statement "..." does not exist`
 * (26000) or `... already exists` (42P05), before anything ran; {@link runStatement} then switches
 * the whole ORM to the pooler-safe way for good and sends that statement once more, unnamed.
 *
 * @internal
 */

/** What an ORM's connections do; shared by every connection of that ORM's pool. */
export interface StatementMode {
  /** `preparedStatements: true`: named statements on every connection, whatever it is. */
  readonly always: boolean;
  /** Connections judged direct when they were opened. */
  readonly direct: WeakSet<object>;
  /**
   * Set for good once a connection judged direct met a pooler (42P05 or 26000): from then on no
   * connection of this ORM names a statement, and every one times each statement itself.
   */
  pooled: boolean;
}

/** A new mode: `always` for `preparedStatements: true`, otherwise decided per connection. */
export function statementMode(always: boolean): StatementMode {
  return { always, direct: new WeakSet(), pooled: false };
}

/** Whether `connection` of an ORM in `mode` sends the kit's statements named. */
export function namesStatements(mode: StatementMode, connection: object): boolean {
  return mode.always || (!mode.pooled && mode.direct.has(connection));
}

/**
 * The comparison that makes a connection direct. An object so that a test can stand in for a
 * pooler that passes the backend's process id through (see pooler-statements.test.ts).
 *
 * @internal
 */
export const judge = {
  direct(announced: unknown, backend: unknown): boolean {
    return typeof announced === 'number' && Number.isInteger(announced) && announced === backend;
  },
};

/** A `pg.Client`, as far as detection touches it. */
export interface DetectableClient {
  processID?: unknown;
  query(config: { text: string; values?: unknown[] }): Promise<{ rows: Record<string, unknown>[] }>;
}

/**
 * Judges `client` (see the module comment) and, when it is direct and `timeoutMs` is given, sets
 * the session's `statement_timeout` to it. Two round trips on a direct connection, one otherwise;
 * nothing is left on a connection judged pooled.
 */
export async function detectDirect(
  client: DetectableClient,
  timeoutMs: number | undefined,
): Promise<boolean> {
  const { rows } = await client.query({ text: 'select pg_backend_pid() as pid' });
  const direct = judge.direct(client.processID, rows[0]?.pid);
  if (direct && timeoutMs !== undefined) {
    // A whole number checked by createKitOrm; `set` takes no parameters.
    await client.query({ text: `set statement_timeout = ${Math.trunc(timeoutMs)}` });
  }
  return direct;
}

/** SQLSTATEs that say a named statement met a pooler before it ran (and only those). */
const POOLER_PREPARED_STATEMENT = new Set(['42P05', '26000']);

/** Whether `error` is a named statement refused because a pooler moved it to another backend. */
export function metPooler(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && POOLER_PREPARED_STATEMENT.has(code);
}
