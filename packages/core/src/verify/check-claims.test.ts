import { expectKitError } from '@kit/test-support';
import { AUDIENCE, createClock, createLocalSetup, ISSUER, mint, T0 } from '@kit/test-support/verifier';
import { describe, expect, it } from 'vitest';
import type { KitJwtClaimInvalidError } from '../errors.ts';
import { createVerifier } from './index.ts';

// The claims of a genuinely signed token: time, issuer, audience and the required RFC 9068 claims.

/** Every test key, and verifiers over a local JWKS holding them all with a clock frozen at {@link T0}. */
const { es256, localVerifier } = await createLocalSetup(createVerifier);

describe('createVerifier: time claims', () => {
  it('rejects a token expired beyond the clock tolerance', async () => {
    const verify = localVerifier();
    const token = await mint(es256, { claims: { exp: T0 / 1000 - 6 } });
    await expectKitError(verify(token), 'ERR_JWT_EXPIRED', { token });
  });

  it('rejects a token at exactly exp + tolerance, accepts one within it', async () => {
    const verify = localVerifier();
    await expectKitError(verify(await mint(es256, { claims: { exp: T0 / 1000 - 5 } })), 'ERR_JWT_EXPIRED');
    await expect(verify(await mint(es256, { claims: { exp: T0 / 1000 - 4 } }))).resolves.toBeDefined();
  });

  it('honours a custom clockTolerance given as a string', async () => {
    const verify = localVerifier({ clockTolerance: '1m' });
    await expect(verify(await mint(es256, { claims: { exp: T0 / 1000 - 59 } }))).resolves.toBeDefined();
    await expectKitError(verify(await mint(es256, { claims: { exp: T0 / 1000 - 60 } })), 'ERR_JWT_EXPIRED');
  });

  it('uses the injected clock for expiry', async () => {
    const clock = createClock();
    const verify = localVerifier({ clock: clock.now });
    const token = await mint(es256);
    await expect(verify(token)).resolves.toBeDefined();
    clock.advance(305_000);
    await expectKitError(verify(token), 'ERR_JWT_EXPIRED', { token });
  });

  it('fails closed when the clock returns something that is not a time', async () => {
    const verify = localVerifier({ clock: () => Number.NaN });
    await expectKitError(verify(await mint(es256, { claims: { exp: 1 } })), 'ERR_INVALID_OPTIONS');
  });

  it('rejects `nbf` in the future beyond the tolerance, accepts it within', async () => {
    const verify = localVerifier();
    const late = await mint(es256, { claims: { nbf: T0 / 1000 + 60 } });
    const error = await expectKitError(verify(late), 'ERR_JWT_CLAIM_INVALID', { token: late });
    expect((error as KitJwtClaimInvalidError).claim).toBe('nbf');
    await expect(verify(await mint(es256, { claims: { nbf: T0 / 1000 + 4 } }))).resolves.toBeDefined();
  });

  it('rejects an `iat` in the future beyond the tolerance', async () => {
    const verify = localVerifier();
    const token = await mint(es256, { claims: { iat: T0 / 1000 + 60 } });
    const error = await expectKitError(verify(token), 'ERR_JWT_CLAIM_INVALID', { token });
    expect((error as KitJwtClaimInvalidError).claim).toBe('iat');
  });

  it.each([
    ['exp', 'soon'],
    ['iat', null],
    ['nbf', '0'],
  ])('rejects a non-numeric `%s`', async (claim, value) => {
    const verify = localVerifier();
    const token = await mint(es256, { claims: { [claim]: value } });
    const error = await expectKitError(verify(token), 'ERR_JWT_CLAIM_INVALID', { token });
    expect((error as KitJwtClaimInvalidError).claim).toBe(claim);
  });
});

describe('createVerifier: issuer, audience and required claims', () => {
  it('rejects a wrong issuer', async () => {
    const verify = localVerifier();
    const token = await mint(es256, { claims: { iss: 'https://evil.example.com' } });
    const error = await expectKitError(verify(token), 'ERR_JWT_CLAIM_INVALID', { token });
    expect((error as KitJwtClaimInvalidError).claim).toBe('iss');
  });

  it('rejects an issuer that differs only by a trailing slash', async () => {
    const verify = localVerifier();
    const token = await mint(es256, { claims: { iss: `${ISSUER}/` } });
    expect(
      ((await expectKitError(verify(token), 'ERR_JWT_CLAIM_INVALID')) as KitJwtClaimInvalidError).claim,
    ).toBe('iss');
  });

  it('rejects a wrong audience', async () => {
    const verify = localVerifier();
    const token = await mint(es256, { claims: { aud: 'https://other-api.example.com' } });
    const error = await expectKitError(verify(token), 'ERR_JWT_CLAIM_INVALID', { token });
    expect((error as KitJwtClaimInvalidError).claim).toBe('aud');
  });

  it('accepts an `aud` array that contains the audience, rejects one that does not', async () => {
    const verify = localVerifier();
    await expect(
      verify(await mint(es256, { claims: { aud: ['https://other.example.com', AUDIENCE] } })),
    ).resolves.toMatchObject({ aud: ['https://other.example.com', AUDIENCE] });
    const wrong = await mint(es256, { claims: { aud: ['https://other.example.com'] } });
    expect(
      ((await expectKitError(verify(wrong), 'ERR_JWT_CLAIM_INVALID')) as KitJwtClaimInvalidError).claim,
    ).toBe('aud');
    const empty = await mint(es256, { claims: { aud: [] } });
    await expectKitError(verify(empty), 'ERR_JWT_CLAIM_INVALID');
    // RFC 7519 §4.1.3: an array of strings, or the claim is invalid.
    const mixed = await mint(es256, { claims: { aud: [AUDIENCE, 42] } });
    await expectKitError(verify(mixed), 'ERR_JWT_CLAIM_INVALID');
    const number = await mint(es256, { claims: { aud: 42 } });
    await expectKitError(verify(number), 'ERR_JWT_CLAIM_INVALID');
  });

  it('accepts any of several configured audiences', async () => {
    const verify = localVerifier({ audience: ['https://a.example.com', 'https://b.example.com'] });
    await expect(
      verify(await mint(es256, { claims: { aud: 'https://b.example.com' } })),
    ).resolves.toBeDefined();
    await expectKitError(verify(await mint(es256)), 'ERR_JWT_CLAIM_INVALID');
  });

  it.each(['iss', 'aud', 'sub', 'jti', 'sid', 'client_id', 'exp', 'iat'])(
    'rejects a token without `%s`',
    async (claim) => {
      const verify = localVerifier();
      const token = await mint(es256, { omit: [claim] });
      const error = await expectKitError(verify(token), 'ERR_JWT_CLAIM_INVALID', { token });
      expect((error as KitJwtClaimInvalidError).claim).toBe(claim);
    },
  );

  it.each(['sub', 'jti', 'sid', 'client_id'])('rejects an empty or non-string `%s`', async (claim) => {
    const verify = localVerifier();
    for (const value of ['', 42, ['x']]) {
      const token = await mint(es256, { claims: { [claim]: value } });
      const error = await expectKitError(verify(token), 'ERR_JWT_CLAIM_INVALID', { token });
      expect((error as KitJwtClaimInvalidError).claim).toBe(claim);
    }
  });
});
