import { KitInvalidInputError } from '../errors.ts';

/**
 * Where a DPoP proof verifier remembers the proofs it accepted, so that none is accepted twice
 * (RFC 9449 §11.1). The kit offers one per process (`createMemoryDpopReplayCache`, `@kit/core`)
 * and two shared by every instance: PostgreSQL (`createMikroOrmDpopReplayCache`,
 * `@kit/core/mikro-orm`) and Redis (`createRedisDpopReplayCache`, `@kit/core/redis`), the same
 * choices as the rate-limit stores. `describeDpopReplayCacheConformance` (`@kit/core/testing`)
 * holds an implementation of your own to this contract.
 *
 * **Atomicity contract.** `remember` is one atomic check-and-insert: under any number of
 * concurrent calls with one key, from any number of processes sharing the cache, exactly one
 * resolves `true` while the entry is live. Times are passed in by the caller (its clock).
 *
 * @example
 * ```ts
 * import { createMemoryDpopReplayCache } from '@kit/core';
 *
 * const cache = createMemoryDpopReplayCache();
 * const now = Date.now();
 * await cache.remember('key', { expiresAt: now + 65_000, now }); // true: first time
 * await cache.remember('key', { expiresAt: now + 65_000, now }); // false: a replay
 * ```
 */
export interface DpopReplayCache {
  /**
   * Remembers `key` until `expiresAt` (ms since the epoch) and resolves `true`, unless a live
   * entry for `key` is already held: then it changes nothing and resolves `false` (a replay). An
   * entry is live at least while `now < expiresAt`; a cache may keep it longer (a margin for
   * instances whose clocks disagree), never shorter. Arguments that `validateDpopReplayEntry`
   * refuses reject with `ERR_INVALID_INPUT` and remember nothing. A cache that cannot answer
   * rejects (`ERR_STORE_UNAVAILABLE` when its backend is out of reach): the verifier then refuses
   * the proof rather than risk accepting a replay.
   *
   * The verifier's keys are 43 characters of base64url (a SHA-256 of the proof key's thumbprint
   * and the proof's `jti`): no client-chosen text reaches the cache.
   */
  remember(key: string, options: { expiresAt: number; now: number }): Promise<boolean>;
  /**
   * Where the entries live: `'process'` when only this process sees them (the memory cache),
   * `'shared'` when every instance does. The routes of `@kit/hono` that follow the kit
   * (`createSessionAuth`, the session routes) remember their proofs in the kit's cache when it is
   * shared, so that a fleet catches replays on every route; beside a `'process'` cache they keep
   * one of their own, which catches the same replays without taking entries from `POST /token`.
   * @default treated as `'shared'`
   */
  readonly scope?: 'process' | 'shared';
}

/** Longest key a cache must accept. */
const MAX_KEY_LENGTH = 255;
/** Longest time an entry may be asked to live: far beyond any proof window. */
const MAX_TTL_MS = 24 * 3600 * 1000;

/**
 * Checks the arguments of {@link DpopReplayCache.remember}: `key` a non-empty string of at most
 * 255 characters, `now` and `expiresAt` whole milliseconds with `now < expiresAt <= now + 1 day`.
 * Throws `ERR_INVALID_INPUT` otherwise. Every cache of the kit calls it first; a cache of your own
 * can too.
 *
 * @example
 * ```ts
 * import { validateDpopReplayEntry } from '@kit/core';
 *
 * validateDpopReplayEntry('key', { expiresAt: 1_000, now: 0 }); // passes
 * ```
 */
export function validateDpopReplayEntry(key: string, options: { expiresAt: number; now: number }): void {
  if (typeof key !== 'string' || key === '' || key.length > MAX_KEY_LENGTH) {
    throw new KitInvalidInputError('A DPoP replay key must be a string of 1 to 255 characters.');
  }
  const { expiresAt, now } = options ?? ({} as { expiresAt?: unknown; now?: unknown });
  if (!Number.isSafeInteger(now) || !Number.isSafeInteger(expiresAt)) {
    throw new KitInvalidInputError('`now` and `expiresAt` must be whole milliseconds since the epoch.');
  }
  if (expiresAt <= now || expiresAt - now > MAX_TTL_MS) {
    throw new KitInvalidInputError('`expiresAt` must be after `now`, and at most one day after it.');
  }
}
