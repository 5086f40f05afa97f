import { describe, expect, it } from 'vitest';
import * as errors from '../errors.ts';
import { KitError } from './kit-error.ts';

type ErrorClass = (new (...args: never[]) => KitError) & { code?: string };

const classes = Object.entries(errors as Record<string, unknown>).filter(
  (entry): entry is [string, ErrorClass] =>
    typeof entry[1] === 'function' && entry[1].prototype instanceof KitError,
);

describe('the error classes', () => {
  it('each carry one code of their own, also readable on the class', () => {
    expect(classes.length).toBeGreaterThan(20);
    const codes = new Set<string>();
    for (const [name, ErrorClass] of classes) {
      expect(ErrorClass.code, name).toMatch(/^ERR_[A-Z_]+$/);
      const error = Reflect.construct(ErrorClass, ['x']) as KitError;
      expect(error.code, name).toBe(ErrorClass.code);
      expect(error.name).toBe(name);
      expect(error).toBeInstanceOf(Error);
      codes.add(error.code);
    }
    expect(codes.size).toBe(classes.length);
  });

  it('keep the cause', () => {
    const cause = new Error('driver');
    expect(new errors.KitStoreUnavailableError({ cause }).cause).toBe(cause);
    expect(new errors.KitInvalidOptionsError('Set `x`.', { cause }).cause).toBe(cause);
  });
});
