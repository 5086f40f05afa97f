import { inspect } from 'node:util';
import { KitError, type KitErrorCode } from '@kit/core';
import { assert, expect } from 'vitest';

/** What {@link expectKitError} checks besides the code. */
export interface ExpectKitErrorOptions {
  /**
   * A token that must not appear in the error's message nor in any message of its `cause` chain:
   * neither whole nor any of its `.`-separated segments of 8 characters or more.
   */
  token?: string;
  /** Says which case failed, for assertions made in a loop. */
  message?: string;
}

/** A promise that should reject, or a function that should throw (or return such a promise). */
export type KitErrorAction = PromiseLike<unknown> | (() => unknown);

type Outcome = { threw: true; error: unknown } | { threw: false; value: unknown };

function describeValue(value: unknown): string {
  const text = inspect(value, { depth: 2, breakLength: Number.POSITIVE_INFINITY });
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return `the non-error ${describeValue(error)}`;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** Runs `action`: synchronously when it is a function that throws or returns a non-promise. */
function settle(action: KitErrorAction): Outcome | Promise<Outcome> {
  let result: unknown = action;
  if (typeof action === 'function') {
    try {
      result = action();
    } catch (error) {
      return { threw: true, error };
    }
  }
  if (!isThenable(result)) return { threw: false, value: result };
  return Promise.resolve(result).then(
    (value): Outcome => ({ threw: false, value }),
    (error: unknown): Outcome => ({ threw: true, error }),
  );
}

function caughtKitError(outcome: Outcome, expected: string, prefix: string): KitError {
  if (!outcome.threw) {
    assert.fail(
      `${prefix}expected ${expected}, but nothing failed (it gave ${describeValue(outcome.value)})`,
    );
  }
  if (!(outcome.error instanceof KitError)) {
    assert.fail(`${prefix}expected ${expected}, but got ${describeError(outcome.error)}`);
  }
  return outcome.error;
}

function check(outcome: Outcome, code: KitErrorCode, options: ExpectKitErrorOptions): KitError {
  const prefix = options.message ? `${options.message}: ` : '';
  const error = caughtKitError(outcome, `a KitError with code ${code}`, prefix);
  expect(error.code, `${prefix}the code of ${describeError(error)}`).toBe(code);
  if (options.token !== undefined) {
    const token = options.token;
    const pieces = [token, ...token.split('.')].filter((piece) => piece.length >= 8);
    for (let e: unknown = error; e instanceof Error; e = e.cause) {
      for (const piece of pieces) {
        expect(e.message, `${prefix}a message of the error or its causes repeats the token`).not.toContain(
          piece,
        );
      }
    }
  }
  return error;
}

/**
 * Asserts that `action` fails with a {@link KitError} of `code`, and returns the error for further
 * checks. `action` is a promise that must reject, or a function that must throw or return a
 * promise that rejects. The answer is synchronous when the function throws synchronously. The
 * failure message says what happened instead: nothing failed (and what came back), another kind
 * of error, or a KitError of another code (with its message).
 *
 * @example
 * ```ts
 * await expectKitError(kit.refresh(reused), 'ERR_REFRESH_TOKEN_REUSED');
 * expectKitError(() => toSeconds(0, 'ttl'), 'ERR_INVALID_INPUT');
 * const error = await expectKitError(verify(token), 'ERR_JWT_CLAIM_INVALID', { token });
 * ```
 */
export function expectKitError(
  action: PromiseLike<unknown> | (() => PromiseLike<unknown>),
  code: KitErrorCode,
  options?: ExpectKitErrorOptions,
): Promise<KitError>;
export function expectKitError(
  action: () => unknown,
  code: KitErrorCode,
  options?: ExpectKitErrorOptions,
): KitError;
export function expectKitError(
  action: KitErrorAction,
  code: KitErrorCode,
  options: ExpectKitErrorOptions = {},
): KitError | Promise<KitError> {
  const outcome = settle(action);
  return outcome instanceof Promise
    ? outcome.then((o) => check(o, code, options))
    : check(outcome, code, options);
}

/**
 * The code of the {@link KitError} `action` fails with, for tests that collect the outcomes of
 * many calls (for example concurrent refreshes, where only the set of codes is known). Fails the
 * test when `action` does not fail, or fails with anything but a KitError. Prefer
 * {@link expectKitError} when the code is known.
 *
 * @example
 * ```ts
 * const codes = await Promise.all(tokens.map((token) => kitErrorCode(kit.refresh(token))));
 * ```
 */
export function kitErrorCode(
  action: PromiseLike<unknown> | (() => PromiseLike<unknown>),
): Promise<KitErrorCode>;
export function kitErrorCode(action: () => unknown): KitErrorCode;
export function kitErrorCode(action: KitErrorAction): KitErrorCode | Promise<KitErrorCode> {
  const outcome = settle(action);
  const code = (o: Outcome) => caughtKitError(o, 'a KitError', '').code;
  return outcome instanceof Promise ? outcome.then(code) : code(outcome);
}
