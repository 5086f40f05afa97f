import { KitInvalidInputError, KitInvalidOptionsError } from '../errors.ts';

/**
 * A duration: a number of seconds, or a string such as `'90s'`, `'15m'`, `'12h'`, `'30d'`, `'2w'`.
 */
export type Duration = number | `${number}${'s' | 'm' | 'h' | 'd' | 'w'}`;

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/**
 * Converts a {@link Duration} to whole seconds, or throws {@link KitInvalidInputError} naming
 * `what`.
 *
 * @example
 * ```ts
 * toSeconds('15m', 'accessTokenTtl'); // 900
 * ```
 */
export function toSeconds(value: unknown, what: string, { allowZero = false } = {}): number {
  let seconds: number;
  if (typeof value === 'number') {
    seconds = value;
  } else if (typeof value === 'string') {
    const match = /^(\d{1,9})(s|m|h|d|w)$/.exec(value);
    if (!match) {
      throw new KitInvalidInputError(
        `${what} must be a number of seconds or a string like "15m" (units s, m, h, d, w).`,
      );
    }
    seconds = Number(match[1]) * UNITS[match[2]!]!;
  } else {
    throw new KitInvalidInputError(`${what} must be a number of seconds or a string like "15m".`);
  }
  if (!Number.isSafeInteger(seconds) || seconds < 0 || (!allowZero && seconds === 0)) {
    throw new KitInvalidInputError(
      `${what} must be a whole number of seconds${allowZero ? '' : ' above 0'}.`,
    );
  }
  return seconds;
}

/**
 * {@link toSeconds} for a factory's option: `value`, or `fallback` when it is left out, in whole
 * seconds. A bad value throws {@link KitInvalidOptionsError} (`ERR_INVALID_OPTIONS`) saying what
 * to set, since a misconfiguration is not a caller's bad input.
 *
 * @example
 * ```ts
 * const windowMs = toOptionSeconds(options.window, 'window', '1m') * 1000; // 60_000 when left out
 * ```
 */
export function toOptionSeconds(
  value: unknown,
  name: string,
  fallback: Duration,
  { allowZero = false } = {},
): number {
  try {
    return toSeconds(value === undefined ? fallback : value, name, { allowZero });
  } catch (cause) {
    throw new KitInvalidOptionsError(
      `Set \`${name}\` to a whole number of seconds${allowZero ? '' : ' above 0'} or a string like "15m".`,
      { cause },
    );
  }
}
