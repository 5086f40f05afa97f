import { KitInvalidInputError } from '../errors.ts';

// A NUL, or (with the u flag a well-formed pair is one code point) an unpaired surrogate half.
const UNSTORABLE = /[\0\p{Cs}]/u;

/**
 * Checks the arguments of one `RateLimitStore.hit` call and returns the start of the window it
 * counts in, `floor(now / windowMs) * windowMs`. Every store of the kit runs it first, so they
 * accept and refuse exactly the same calls (the shared conformance suite checks that); a store of
 * your own should too. The key reaches the backend as data (a bound parameter, a Redis key), so
 * the limits are about size and about values a backend cannot hold: a NUL byte (PostgreSQL text
 * refuses it), a lone UTF-16 surrogate (it has no UTF-8 form, so the backend would store another
 * key than the one given), a window start beyond the integers a double holds exactly.
 *
 * @throws `KitInvalidInputError` (`ERR_INVALID_INPUT`) when `key` is not a string of 1 to 255
 *   characters without NUL or a lone surrogate, `windowMs` is not a positive whole number of
 *   milliseconds, `now` is not a finite number of milliseconds, or the window's start and end are
 *   not safe integers.
 * @example
 * ```ts
 * import { validateRateLimitHit } from '@kit/core';
 *
 * // First thing in a store's hit(key, { windowMs, now }):
 * const windowStart = validateRateLimitHit('login:203.0.113.7', { windowMs: 60_000, now: Date.now() });
 * // A multiple of 60_000. An empty key, a zero window or a NaN time throws KitInvalidInputError.
 * validateRateLimitHit('', { windowMs: 60_000, now: Date.now() }); // throws: ERR_INVALID_INPUT
 * ```
 */
export function validateRateLimitHit(key: unknown, options: { windowMs: unknown; now: unknown }): number {
  if (typeof key !== 'string' || key.length === 0 || key.length > 255 || UNSTORABLE.test(key)) {
    throw new KitInvalidInputError(
      'A rate-limit key must be a string of 1 to 255 characters, with no NUL and no unpaired surrogate.',
    );
  }
  const { windowMs, now } = (options ?? {}) as { windowMs: unknown; now: unknown };
  if (typeof windowMs !== 'number' || !Number.isSafeInteger(windowMs) || windowMs < 1) {
    throw new KitInvalidInputError('`windowMs` must be a positive whole number of milliseconds.');
  }
  if (typeof now !== 'number' || !Number.isFinite(now)) {
    throw new KitInvalidInputError('`now` must be a time in milliseconds.');
  }
  const windowStart = Math.floor(now / windowMs) * windowMs;
  // The stores compute the next window's end (windowStart + 2 * windowMs at most): past 2^53 the
  // arithmetic is no longer exact, and counters of distinct windows would collide.
  if (!Number.isSafeInteger(Math.abs(windowStart) + 2 * windowMs)) {
    throw new KitInvalidInputError('`now` and `windowMs` are too large.');
  }
  return windowStart;
}
