import { KeyObject } from 'node:crypto';
import { expectKitError } from '@kit/test-support';
import { createTestKey, localVerifierOptions, mint } from '@kit/test-support/verifier';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createVerifier as createWebVerifier } from './index.ts';
import { createVerifier as createNodeVerifier } from './node.ts';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('node:crypto backend', () => {
  it('checks the signature over the token as written, not over the low bytes of its characters', async () => {
    // Regression: the signing input went to node:crypto as Latin-1, which keeps only the low byte
    // of each character. A payload with `Ł` (U+0141) in place of `A` then matched the issuer's
    // signature over the original, so the signature passed and the node path answered
    // ERR_JWT_MALFORMED where Web Crypto answers ERR_JWT_INVALID.
    const key = await createTestKey('ES256');
    const options = localVerifierOptions([key]);
    const token = await mint(key);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const at = payload.indexOf('A');
    expect(at).toBeGreaterThanOrEqual(0);
    const forged = `${header}.${payload.slice(0, at)}\u0141${payload.slice(at + 1)}.${signature}`;

    await expectKitError(createNodeVerifier(options)(forged), 'ERR_JWT_INVALID', { token: forged });
    await expectKitError(createWebVerifier(options)(forged), 'ERR_JWT_INVALID', { token: forged });
    await expect(createNodeVerifier(options)(token)).resolves.toMatchObject({ sub: 'user-1' });
  });

  it('makes KeyObjects from extractable keys only (KeyObject.from() of another is deprecated, DEP0204)', async () => {
    // A warning in Bun and Node 26, an error in a future Node: the node path would stop verifying.
    const from = vi.spyOn(KeyObject, 'from');
    const key = await createTestKey('ES256');
    const verify = createNodeVerifier(localVerifierOptions([key]));
    await expect(verify(await mint(key))).resolves.toMatchObject({ sub: 'user-1' });
    expect(from).toHaveBeenCalled();
    expect(from.mock.calls.filter(([cryptoKey]) => !(cryptoKey as CryptoKey).extractable)).toEqual([]);
  });
});
