/**
 * The server-side statement timeout, carried by every statement instead of by the session, so it
 * survives connection poolers in transaction mode (PgBouncer, Supavisor, RDS Proxy, Neon).
 *
 * A `statement_timeout` startup parameter is refused by a stock PgBouncer ("unsupported startup
 * parameter"), and a session-level `SET` would stay on a server connection the pooler then hands
 * to other clients. Instead each statement is sent as one extended-protocol pipeline:
 *
 *   Parse/Bind/Execute  select set_config('statement_timeout', '<ms>', true)
 *   Parse/Bind/Describe/Execute  <the statement, its parameters bound>
 *   Sync
 *
 * Everything before a Sync is one implicit transaction (or runs inside the caller's explicit one),
 * so the setting is transaction-local: PostgreSQL arms the statement's timer with it, and drops it
 * at the end of that transaction, before a pooler can hand the server connection to anybody else.
 * One round trip, as before; `set_config` rather than `SET LOCAL`, which would log a warning for
 * every statement outside an explicit transaction block.
 *
 * This is the pooler-safe way. A connection judged direct at connect carries the timeout on its
 * session instead, and is timed here only once its ORM has met a pooler (see connection-mode.ts).
 *
 * @internal
 */

/** The part of a `pg` query object this module relies on (pg/lib/query.js). */
interface PgQuery {
  text?: string;
  callback?: ((error: Error | null, result?: unknown) => void) | undefined;
  prepare(connection: PgWire): void;
  handleDataRow(message: unknown): void;
  handleCommandComplete(message: unknown, connection: PgWire): void;
}

/** The part of pg's protocol connection the pipeline writes to. */
interface PgWire {
  parse(message: { text: string; name?: string }): void;
  bind(message: { values: unknown[] }): void;
  execute(message: { portal?: string; rows?: number }): void;
}

/** pg's `Query` class (`require('pg').Query`). */
export type PgQueryClass = new (config: unknown, values?: unknown, callback?: unknown) => PgQuery;

/** A `pg.Client`, as far as this module touches it. */
export interface PgClientLike {
  query(config: unknown, values?: unknown, callback?: unknown): unknown;
}

// Statements left exactly as the caller sent them: transaction control (a COMMIT or ROLLBACK must
// never be preceded by anything: in an aborted transaction that statement would fail first),
// session commands, and commands PostgreSQL refuses to run inside a transaction or a pipeline.
const UNTOUCHED =
  /^(?:begin|start|commit|end|rollback|abort|savepoint|release|prepare|set|reset|discard|listen|unlisten|notify|vacuum|reindex|cluster|checkpoint|copy|create\s+database|drop\s+database|alter\s+system|create\s+tablespace|drop\s+tablespace|create\s+(?:unique\s+)?index\s+concurrently|drop\s+index\s+concurrently)\b/i;

const LEADING_COMMENTS = /^(?:\s+|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*/;

function statementText(config: unknown): string | undefined {
  if (typeof config === 'string') return config;
  if (typeof config !== 'object' || config === null) return undefined;
  const c = config as {
    text?: unknown;
    name?: unknown;
    rows?: unknown;
    submit?: unknown;
    queryMode?: unknown;
  };
  // Submittables (cursors, streams), paged portals and queries that ask for the simple protocol
  // keep their own protocol. A named statement is carried: its Parse is skipped once prepared.
  if (typeof c.submit === 'function' || c.rows !== undefined) return undefined;
  if (c.queryMode === 'simple') return undefined;
  return typeof c.text === 'string' ? c.text : undefined;
}

/** Whether `config` is one statement the pipeline may carry. */
function carries(config: unknown, values: unknown): boolean {
  const text = statementText(config);
  if (text === undefined) return false;
  const body = text.replace(LEADING_COMMENTS, '');
  if (body === '' || UNTOUCHED.test(body)) return false;
  const bound = Array.isArray(values) ? values : (config as { values?: unknown }).values;
  if (Array.isArray(bound) && bound.length > 0) return true;
  // Without parameters pg would use the simple protocol, which allows several statements in one
  // string; the extended protocol does not, so only an evidently single statement moves over.
  return !body.replace(/;\s*$/, '').includes(';');
}

const timedClasses = new WeakMap<PgQueryClass, PgQueryClass>();

/** A subclass of pg's `Query` that sends `set_config` ahead of the statement, in the same pipeline. */
function timedQueryClass(Query: PgQueryClass): PgQueryClass {
  const known = timedClasses.get(Query);
  if (known) return known;
  class TimedQuery extends Query {
    timeoutText = '0';
    /** The `set_config` answer (one row, one CommandComplete) comes first and is not the caller's. */
    preamble = true;

    override prepare(connection: PgWire): void {
      connection.parse({ text: `select set_config('statement_timeout', '${this.timeoutText}', true)` });
      connection.bind({ values: [] });
      connection.execute({});
      super.prepare(connection);
    }

    override handleDataRow(message: unknown): void {
      if (!this.preamble) super.handleDataRow(message);
    }

    override handleCommandComplete(message: unknown, connection: PgWire): void {
      if (this.preamble) {
        this.preamble = false;
        return;
      }
      super.handleCommandComplete(message, connection);
    }
  }
  timedClasses.set(Query, TimedQuery);
  return TimedQuery;
}

/**
 * Makes every statement `client` sends carry `statement_timeout = timeoutMs` for itself (see the
 * module comment). Statements it cannot carry (transaction control, session commands, several
 * statements in one string without parameters, cursors) go out unchanged; `query_timeout` on the
 * client side still bounds them.
 *
 * `active`, when given, is asked before each statement: while it answers false the statement goes
 * out unchanged (a direct connection whose session already carries `statement_timeout`, see
 * connection-mode.ts); once it answers true the statement is timed as above.
 *
 * @internal
 */
export function timeStatements(
  client: PgClientLike,
  Query: PgQueryClass,
  timeoutMs: number,
  active?: () => boolean,
): void {
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1)
    throw new RangeError('timeoutMs must be a positive integer');
  const TimedQuery = timedQueryClass(Query);
  // Looked up on every call, so whatever wraps the client class's `query` later (a tracer, a
  // statement log) still sees every statement, timed ones included.
  const prototype = Object.getPrototypeOf(client) as PgClientLike;
  const send = (...args: unknown[]): unknown => prototype.query.apply(client, args as [unknown]);
  client.query = (config: unknown, values?: unknown, callback?: unknown): unknown => {
    if ((active && !active()) || !carries(config, values)) return send(config, values, callback);
    const query = new TimedQuery(config, values, callback) as PgQuery & {
      timeoutText: string;
      queryMode?: string;
      query_timeout?: unknown;
    };
    // The extended protocol even without parameters: the simple one cannot be pipelined.
    query.queryMode = 'extended';
    // pg reads a per-query client-side timeout from the object it is handed.
    const perQuery = (config as { query_timeout?: unknown } | null)?.query_timeout;
    if (perQuery !== undefined) query.query_timeout = perQuery;
    query.timeoutText = String(timeoutMs);
    if (query.callback) {
      send(query);
      return undefined;
    }
    return new Promise((resolve, reject) => {
      query.callback = (error, result) => (error ? reject(error) : resolve(result));
      send(query);
    });
  };
}
