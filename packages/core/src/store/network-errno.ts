/**
 * Node's error codes (`error.code`) for a network peer that could not be reached or went away:
 * a store behind them is unavailable (`ERR_STORE_UNAVAILABLE`), not failing. Shared by the
 * PostgreSQL and Redis error mappings.
 *
 * @internal
 */
export const NETWORK_ERRNO: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);
