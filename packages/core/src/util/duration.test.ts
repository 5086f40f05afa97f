import { expectKitError } from '@kit/test-support';
import { describe, expect, it } from 'vitest';
import { type KitError, KitInvalidInputError, KitInvalidOptionsError } from '../errors.ts';
import { toOptionSeconds, toSeconds } from './duration.ts';

describe('toSeconds', () => {
  it('returns whole numbers of seconds unchanged', () => {
    expect(toSeconds(1, 'ttl')).toBe(1);
    expect(toSeconds(300, 'ttl')).toBe(300);
    expect(toSeconds(7_776_000, 'ttl')).toBe(7_776_000);
    expect(toSeconds(Number.MAX_SAFE_INTEGER, 'ttl')).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('converts strings with the units s, m, h, d, w', () => {
    expect(toSeconds('1s', 'ttl')).toBe(1);
    expect(toSeconds('90s', 'ttl')).toBe(90);
    expect(toSeconds('15m', 'ttl')).toBe(900);
    expect(toSeconds('12h', 'ttl')).toBe(43_200);
    expect(toSeconds('30d', 'ttl')).toBe(2_592_000);
    expect(toSeconds('2w', 'ttl')).toBe(1_209_600);
    expect(toSeconds('999999999s', 'ttl')).toBe(999_999_999);
  });

  it('accepts zero only with allowZero', () => {
    expectKitError(() => toSeconds(0, 'ttl'), 'ERR_INVALID_INPUT');
    expectKitError(() => toSeconds('0s', 'ttl'), 'ERR_INVALID_INPUT');
    expectKitError(() => toSeconds('0m', 'ttl', { allowZero: false }), 'ERR_INVALID_INPUT');
    expect(toSeconds(0, 'grace', { allowZero: true })).toBe(0);
    expect(toSeconds('0s', 'grace', { allowZero: true })).toBe(0);
    expect(toSeconds('0w', 'grace', { allowZero: true })).toBe(0);
    expect(toSeconds(5, 'grace', { allowZero: true })).toBe(5);
  });

  it.each([
    ['empty string', ''],
    ['fraction', '1.5m'],
    ['negative string', '-1s'],
    ['unknown unit', '10x'],
    ['unit in capitals', '15M'],
    ['no unit', '15'],
    ['unit only', 'm'],
    ['space inside', '15 m'],
    ['leading space', ' 15m'],
    ['trailing newline', '15m\n'],
    ['two units', '1h30m'],
    ['exponent', '1e3s'],
    ['plus sign', '+5s'],
    ['long unit', '5min'],
    ['too many digits', '1234567890s'],
    ['full-width digits', '\uff11\uff15m'],
  ])('rejects the string %s (%j)', (_name, value) => {
    expectKitError(() => toSeconds(value, 'ttl'), 'ERR_INVALID_INPUT');
    expectKitError(() => toSeconds(value, 'ttl', { allowZero: true }), 'ERR_INVALID_INPUT');
  });

  it.each([
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['-Infinity', Number.NEGATIVE_INFINITY],
    ['1e20', 1e20],
    ['MAX_SAFE_INTEGER + 1', Number.MAX_SAFE_INTEGER + 1],
    ['a fraction', 1.5],
    ['a tiny fraction', 0.001],
    ['-1', -1],
    ['-0.5', -0.5],
  ])('rejects the number %s', (_name, value) => {
    expectKitError(() => toSeconds(value, 'ttl'), 'ERR_INVALID_INPUT');
    expectKitError(() => toSeconds(value, 'ttl', { allowZero: true }), 'ERR_INVALID_INPUT');
  });

  it.each([
    ['an object', {}],
    ['an array', [15]],
    ['an object with valueOf', { valueOf: () => 60 }],
    ['a boxed number', new Number(60)],
    ['a boxed string', new String('15m')],
    ['null', null],
    ['undefined', undefined],
    ['a boolean', true],
    ['a bigint', 60n],
    ['a Date', new Date(0)],
    ['a function', () => 60],
    ['a symbol', Symbol('15m')],
  ])('rejects %s', (_name, value) => {
    expectKitError(() => toSeconds(value, 'ttl'), 'ERR_INVALID_INPUT');
  });

  it('accepts the largest string form, whose product is still a safe integer', () => {
    // 999999999w is about 6e14 s: below 2^53, so it converts exactly.
    expect(toSeconds('999999999w', 'ttl')).toBe(999_999_999 * 604_800);
  });

  it('throws a KitInvalidInputError that names the option', () => {
    let caught: unknown;
    try {
      toSeconds('10x', 'accessTokenTtl');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(KitInvalidInputError);
    expect((caught as Error).message).toContain('accessTokenTtl');
  });
});

describe('toOptionSeconds', () => {
  it('takes the fallback for a left-out option', () => {
    expect(toOptionSeconds(undefined, 'window', '1m')).toBe(60);
    expect(toOptionSeconds('2m', 'window', '1m')).toBe(120);
    expect(toOptionSeconds(0, 'retain', '7d', { allowZero: true })).toBe(0);
  });

  it('throws a KitInvalidOptionsError that says what to set, keeping the cause', () => {
    // Only `undefined` is a left-out option: `null` is refused, as createAuthKit and createVerifier do.
    for (const value of [0, -1, 1.5, '1x', {}, null]) {
      let caught: unknown;
      try {
        toOptionSeconds(value, 'window', '1m');
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(KitInvalidOptionsError);
      expect((caught as KitError).code).toBe(KitInvalidOptionsError.code);
      expect((caught as Error).message).toContain('`window`');
      expect((caught as Error).cause).toBeInstanceOf(KitInvalidInputError);
    }
  });
});
