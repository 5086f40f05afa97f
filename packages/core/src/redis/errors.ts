import { KitStoreFailureError, KitStoreUnavailableError } from '../errors.ts';
import { NETWORK_ERRNO } from '../store/network-errno.ts';

// node-redis errors that mean the server could not be reached or did not answer in time. Matched
// by class name, so a host's copy of the client (another version, another install) is recognised.
const UNAVAILABLE_NAMES = new Set([
  'ClientClosedError',
  'ClientOfflineError',
  'ConnectionTimeoutError',
  'SocketClosedUnexpectedlyError',
  'SocketTimeoutError',
  'SocketTimeoutDuringMaintenanceError',
  'CommandTimeoutDuringMaintenanceError',
  'TimeoutError',
  'AbortError',
  'ReconnectStrategyError',
  'RootNodesUnavailableError',
  'DisconnectsClientError',
  'MaxCommandRedirectionsError',
]);
// Error replies of a server that is up but cannot take writes now: loading its data set, busy with
// a script, a replica during failover, a cluster resharding or down, persistence failing, out of
// memory under `maxmemory-policy noeviction`.
const UNAVAILABLE_REPLY = /^(LOADING|BUSY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN|READONLY|MISCONF|NOREPLICAS|OOM) /;
// The same errors by message, for a bundled client whose class names were minified.
const UNAVAILABLE_MESSAGE =
  /^(The client is closed|The client is offline|The queue is full|Connection timeout|Socket closed unexpectedly|Socket timeout|Disconnects client|The command was aborted|All the root nodes are unavailable)/;

function isUnavailable(error: unknown, depth = 0): boolean {
  if (depth > 5 || typeof error !== 'object' || error === null) return false;
  const e = error as { name?: unknown; code?: unknown; message?: unknown; cause?: unknown };
  const name = typeof e.name === 'string' && e.name !== 'Error' ? e.name : error.constructor?.name;
  if (typeof name === 'string' && UNAVAILABLE_NAMES.has(name)) return true;
  if (typeof e.code === 'string' && NETWORK_ERRNO.has(e.code)) return true;
  if (
    typeof e.message === 'string' &&
    (UNAVAILABLE_REPLY.test(e.message) || UNAVAILABLE_MESSAGE.test(e.message))
  )
    return true;
  const inner = (error as { originalError?: unknown; socketError?: unknown }).socketError;
  return isUnavailable(inner, depth + 1) || isUnavailable(e.cause, depth + 1);
}

/**
 * A client error reduced to what is safe to keep: its class name and, for an error reply, the
 * reply's code word (`WRONGTYPE`, `NOSCRIPT`...). A reply's full text can quote a script's
 * arguments, which include rate-limit keys (client addresses), so it is never attached.
 */
function sanitize(error: unknown): Error {
  const e = (typeof error === 'object' && error !== null ? error : {}) as {
    name?: unknown;
    message?: unknown;
    code?: unknown;
  };
  const className =
    typeof e.name === 'string' && e.name !== 'Error'
      ? e.name
      : ((error as { constructor?: { name?: unknown } } | null)?.constructor?.name ?? 'Error');
  const name = typeof className === 'string' && /^\w{1,64}$/.test(className) ? className : 'Error';
  const reply = typeof e.message === 'string' ? /^([A-Z][A-Z_]{1,31}) /.exec(e.message)?.[1] : undefined;
  const code = typeof e.code === 'string' && /^E[A-Z_]{1,31}$/.test(e.code) ? e.code : reply;
  const safe = new Error(code ? `${name} (${code})` : name);
  safe.name = name;
  if (code) (safe as Error & { code?: string }).code = code;
  return safe;
}

/**
 * Maps a Redis client error to `KitStoreUnavailableError` (unreachable, timed out, failing over:
 * HTTP adapters answer 503) or `KitStoreFailureError` (anything else: a bug or a misconfigured
 * server, 500). @internal
 */
export function toRedisStoreError(error: unknown, operation: string): Error {
  if (isUnavailable(error)) return new KitStoreUnavailableError({ cause: sanitize(error) });
  return new KitStoreFailureError(`The Redis store failed during ${operation}.`, {
    cause: sanitize(error),
  });
}
