import { KitError, KitInvalidInputError, KitSessionRevokedError } from '@kit/core';
import { describe, expect, it } from 'vitest';
import { expectKitError, kitErrorCode } from './expect-kit-error.ts';

const revoked = () => new KitSessionRevokedError();

/** The message `run` fails with, or a failure of this test when it does not fail. */
async function failureOf(run: () => unknown): Promise<string> {
  try {
    await run();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('the assertion passed');
}

describe('expectKitError', () => {
  it('returns the error of a rejected promise with the expected code', async () => {
    const error = revoked();
    await expect(expectKitError(Promise.reject(error), 'ERR_SESSION_REVOKED')).resolves.toBe(error);
  });

  it('returns synchronously what a function throws, and awaits what it returns', async () => {
    const thrown = expectKitError(() => {
      throw new KitInvalidInputError('Bad input.');
    }, 'ERR_INVALID_INPUT');
    expect(thrown).toBeInstanceOf(KitError);
    expect((await expectKitError(async () => Promise.reject(revoked()), 'ERR_SESSION_REVOKED')).code).toBe(
      'ERR_SESSION_REVOKED',
    );
  });

  it('fails when nothing fails, saying what came back', async () => {
    expect(await failureOf(() => expectKitError(Promise.resolve({ ok: 1 }), 'ERR_SESSION_REVOKED'))).toBe(
      'expected a KitError with code ERR_SESSION_REVOKED, but nothing failed (it gave { ok: 1 })',
    );
    expect(await failureOf(() => expectKitError(() => 42, 'ERR_INVALID_INPUT'))).toBe(
      'expected a KitError with code ERR_INVALID_INPUT, but nothing failed (it gave 42)',
    );
  });

  it('fails on another kind of error, naming it', async () => {
    expect(
      await failureOf(() => expectKitError(Promise.reject(new TypeError('nope')), 'ERR_INVALID_INPUT')),
    ).toBe('expected a KitError with code ERR_INVALID_INPUT, but got TypeError: nope');
  });

  it('fails on another code, with the error it got and the case it was told', async () => {
    const message = await failureOf(() =>
      expectKitError(Promise.reject(revoked()), 'ERR_SESSION_EXPIRED', { message: 'token 3' }),
    );
    expect(message).toContain('token 3: the code of KitSessionRevokedError: The session has been revoked.');
    expect(message).toContain("expected 'ERR_SESSION_REVOKED' to be 'ERR_SESSION_EXPIRED'");
  });

  it('fails when the message or a cause repeats the token or a segment of it', async () => {
    const token = 'eyJhbGciOi.eyJzdWIiOiJ1.c2lnbmF0dXJl';
    const leaky = new KitInvalidInputError('Bad input.', { cause: new Error('bad eyJzdWIiOiJ1 here') });
    expect(
      await failureOf(() => expectKitError(Promise.reject(leaky), 'ERR_INVALID_INPUT', { token })),
    ).toContain('repeats the token');
    await expectKitError(Promise.reject(revoked()), 'ERR_SESSION_REVOKED', { token });
  });
});

describe('kitErrorCode', () => {
  it('gives the code, and fails when there is no KitError', async () => {
    expect(await kitErrorCode(Promise.reject(revoked()))).toBe('ERR_SESSION_REVOKED');
    expect(await failureOf(() => kitErrorCode(Promise.resolve()))).toBe(
      'expected a KitError, but nothing failed (it gave undefined)',
    );
  });
});
