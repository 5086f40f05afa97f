import { KitStoreFailureError, KitStoreUnavailableError } from '../errors.ts';
import { NETWORK_ERRNO } from '../store/network-errno.ts';

// SQLSTATE: 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now,
// 53300 too_many_connections, 57014 query_canceled (statement_timeout).
const UNAVAILABLE_SQLSTATE = new Set(['57P01', '57P02', '57P03', '53300', '57014']);
const UNAVAILABLE_MESSAGE =
  /Connection terminated|connection timeout|timeout expired|Query read timeout|Knex: Timeout acquiring a connection|Client has encountered a connection error|not queryable/i;
// A pooler in front of the server answers its own outage and capacity errors with SQLSTATE 08P01
// (PgBouncer: no server connection within query_wait_timeout, max_client_conn reached, the server
// refusing its logins): the database is out of reach, as surely as a refused connection.
const POOLER_UNAVAILABLE_MESSAGE =
  /query_wait_timeout|no more connections allowed|cannot connect to server|server_login_retry|client_login_timeout|server conn crashed|shutting down/i;

function isUnavailable(error: unknown, depth = 0): boolean {
  if (depth > 5 || typeof error !== 'object' || error === null) return false;
  const e = error as { code?: unknown; name?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.code === 'string' && (NETWORK_ERRNO.has(e.code) || UNAVAILABLE_SQLSTATE.has(e.code)))
    return true;
  // Class 08 is connection exceptions, except 08P01 (protocol violation), which bad input such as a
  // NUL byte in a parameter can cause: that is not an outage, unless a pooler says it is one.
  if (typeof e.code === 'string' && e.code.startsWith('08') && e.code !== '08P01') return true;
  if (e.code === '08P01' && typeof e.message === 'string' && POOLER_UNAVAILABLE_MESSAGE.test(e.message))
    return true;
  if (e.name === 'KnexTimeoutError' || e.name === 'ConnectionException') return true;
  if (typeof e.message === 'string' && UNAVAILABLE_MESSAGE.test(e.message)) return true;
  if (Array.isArray(e.errors) && e.errors.some((inner) => isUnavailable(inner, depth + 1))) return true;
  return isUnavailable(e.cause, depth + 1);
}

/**
 * A driver error reduced to what is safe to keep: its class name and SQLSTATE. Query builders
 * format bound values into their messages, and those values can include secret hashes, so the
 * original error is never attached.
 */
function sanitize(error: unknown): Error {
  const e = (typeof error === 'object' && error !== null ? error : {}) as {
    name?: unknown;
    code?: unknown;
    message?: unknown;
  };
  // pg's client-side query timeout is a plain Error; name it, since it means the server went
  // silent (a statement the server itself cancels arrives as 57014 first).
  const name =
    typeof e.message === 'string' && /Query read timeout/.test(e.message)
      ? 'QueryReadTimeout'
      : typeof e.name === 'string'
        ? e.name
        : 'Error';
  const safe = new Error(`${name}${typeof e.code === 'string' ? ` (${e.code})` : ''}`);
  safe.name = name;
  if (typeof e.code === 'string') (safe as Error & { code?: string }).code = e.code;
  return safe;
}

/** Maps a driver error to {@link KitStoreUnavailableError} or {@link KitStoreFailureError}. */
export function toStoreError(error: unknown, operation: string): Error {
  if (isUnavailable(error)) return new KitStoreUnavailableError({ cause: sanitize(error) });
  const code = (error as { code?: unknown } | null)?.code;
  if (code === '42P01') {
    return new KitStoreFailureError(
      `The session store failed during ${operation}: the kit's tables do not exist; run the migrations (\`kit migrate\` or \`migrate(orm)\`).`,
      { cause: sanitize(error) },
    );
  }
  return new KitStoreFailureError(`The session store failed during ${operation}.`, {
    cause: sanitize(error),
  });
}
