/**
 * Storage of rate-limit counters, shared by every instance of an application so a limit holds
 * across them. The PostgreSQL implementation is `createMikroOrmRateLimitStore` in
 * `@kit/core/mikro-orm`; `@kit/hono` has an in-memory one for a single process or the edge. A
 * Redis implementation fits the same two methods (for example a Lua script doing `HINCRBY` and
 * `PEXPIRE` on one hash per key).
 *
 * @module
 */

/**
 * What one counted hit returns: the counter of the current fixed window and of the window just
 * before it, from which the caller estimates a sliding-window rate.
 */
export interface RateLimitHit {
  /** Hits counted in the current window, this one included. */
  count: number;
  /** Hits of the window immediately before the current one (0 if there were none). */
  previousCount: number;
  /** Start of the current window, in milliseconds since the epoch (a multiple of `windowMs`). */
  windowStart: number;
}

/**
 * A store of rate-limit counters: fixed windows of `windowMs`, keyed by an opaque string.
 *
 * **Atomicity contract.** `hit` is one atomic read-modify-write: under any number of concurrent
 * calls, from any number of processes sharing the store, every call is counted exactly once and
 * each caller sees the counter including its own hit. Times are passed in by the caller (its
 * clock), never read from the store's own clock.
 */
export interface RateLimitStore {
  /**
   * Counts one hit on `key` in the window `floor(now / windowMs) * windowMs`. When that window is
   * newer than the stored one, the counter restarts at 1 and `previousCount` becomes the stored
   * count if the stored window was the one just before, 0 otherwise. A hit whose window is older
   * than the stored one (a caller with a slow clock) counts in the stored window. Arguments that
   * `validateRateLimitHit` refuses reject with `ERR_INVALID_INPUT`, and count nothing.
   */
  hit(key: string, options: { windowMs: number; now: number }): Promise<RateLimitHit>;
  /** Deletes counters whose windows ended before `before` (ms since the epoch); returns how many. */
  purge?(before: number): Promise<number>;
}
