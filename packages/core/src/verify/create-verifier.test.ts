import { expectKitError } from '@kit/test-support';
import {
  ALL_ALGORITHMS,
  AUDIENCE,
  b64json,
  createLocalSetup,
  createTestKey,
  defaultClaims,
  ISSUER,
  mint,
  rsaKeyAsPss,
  T0,
} from '@kit/test-support/verifier';
import { exportJWK, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { createVerifier, MAX_TOKEN_LENGTH } from './index.ts';

// Tokens the verifier accepts, and tokens it refuses for their shape or their signature.

/** Every test key, and verifiers over a local JWKS holding them all with a clock frozen at {@link T0}. */
const { keys, es256, localVerifier } = await createLocalSetup(createVerifier);

describe('createVerifier: valid tokens', () => {
  it.each(ALL_ALGORITHMS)('accepts a valid %s token and returns its claims', async (alg) => {
    const verify = localVerifier();
    const token = await mint(keys[alg], { claims: { scope: 'read' } });
    const claims = await verify(token);
    expect(claims).toEqual({ ...defaultClaims(), scope: 'read' });
  });

  it('accepts each algorithm only through a key of its own kid', async () => {
    const verify = localVerifier();
    for (const alg of ALL_ALGORITHMS) {
      await expect(verify(await mint(keys[alg]))).resolves.toMatchObject({ sub: 'user-1' });
    }
  });

  it('accepts `typ` written as a media type, in any case (RFC 7515 §4.1.9)', async () => {
    const verify = localVerifier();
    for (const typ of ['application/at+jwt', 'AT+JWT', 'Application/At+Jwt']) {
      await expect(verify(await mint(es256, { header: { typ } }))).resolves.toMatchObject({ sub: 'user-1' });
    }
  });

  it('verifies the same token repeatedly (cached header and key)', async () => {
    const verify = localVerifier();
    const token = await mint(es256);
    for (let i = 0; i < 5; i++)
      await expect(verify(token)).resolves.toMatchObject({ jti: defaultClaims().jti });
  });

  it('works with a JWK set holding private members and ignores them', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const privateJwk = { ...(await exportJWK(privateKey)), kid: 'with-d', alg: 'ES256' };
    expect(privateJwk.d).toBeTypeOf('string');
    const verify = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwks: { keys: [privateJwk] },
      clock: () => T0,
    });
    const token = await mint({ alg: 'ES256', kid: 'with-d', privateKey });
    await expect(verify(token)).resolves.toMatchObject({ sub: 'user-1' });
  });

  it('selects keys without `alg` or `use` by their key type and curve', async () => {
    const { alg: _alg, use: _use, ...bare } = keys.RS256.jwk;
    const verify = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwks: { keys: [bare] },
      clock: () => T0,
    });
    // An RSA key without `alg` serves both RSA algorithms of the allow-list.
    await expect(verify(await mint(keys.RS256))).resolves.toMatchObject({ sub: 'user-1' });
    await expect(
      verify(await mint({ alg: 'PS256', kid: keys.RS256.kid, privateKey: await rsaKeyAsPss(keys.RS256) })),
    ).resolves.toMatchObject({ sub: 'user-1' });
  });
});

describe('createVerifier: malformed and tampered tokens', () => {
  it('rejects a tampered payload', async () => {
    const verify = localVerifier();
    const token = await mint(es256);
    const [header, , signature] = token.split('.');
    const forged = `${header}.${b64json({ ...defaultClaims(), sub: 'admin' })}.${signature}`;
    await expectKitError(verify(forged), 'ERR_JWT_INVALID', { token: forged });
  });

  it('rejects a tampered header', async () => {
    const verify = localVerifier();
    const token = await mint(es256);
    const [, payload, signature] = token.split('.');
    const forged = `${b64json({ alg: 'ES256', kid: es256.kid, typ: 'at+jwt', x: 1 })}.${payload}.${signature}`;
    await expectKitError(verify(forged), 'ERR_JWT_INVALID', { token: forged });
  });

  it.each(ALL_ALGORITHMS)('rejects a tampered %s signature', async (alg) => {
    const verify = localVerifier();
    const token = await mint(keys[alg]);
    const dot = token.lastIndexOf('.');
    const first = token[dot + 1] === 'A' ? 'B' : 'A';
    const forged = `${token.slice(0, dot + 1)}${first}${token.slice(dot + 2)}`;
    await expectKitError(verify(forged), 'ERR_JWT_INVALID', { token: forged });
  });

  it('rejects a signature of another key with the same kid', async () => {
    const verify = localVerifier();
    const other = await createTestKey('ES256', es256.kid);
    const token = await mint(other);
    await expectKitError(verify(token), 'ERR_JWT_INVALID', { token });
  });

  it('rejects truncated tokens', async () => {
    const verify = localVerifier();
    const token = await mint(es256);
    // Without its signature segment: two segments.
    await expectKitError(verify(token.slice(0, token.lastIndexOf('.'))), 'ERR_JWT_MALFORMED');
    // An ES256 signature is 86 characters. Cut to 84 (still valid base64url, 63 bytes): the
    // signature does not verify.
    expect(token.length - token.lastIndexOf('.') - 1).toBe(86);
    await expectKitError(verify(token.slice(0, -2)), 'ERR_JWT_INVALID');
    // Cut to 85 = 4n+1 characters: not base64url at all.
    await expectKitError(verify(token.slice(0, -1)), 'ERR_JWT_MALFORMED');
    await expectKitError(verify(token.slice(0, 20)), 'ERR_JWT_MALFORMED');
  });

  it.each([
    ['a number', 42],
    ['null', null],
    ['undefined', undefined],
    ['an object', { token: 'x' }],
    ['a String object', new String('a.b.c')],
  ])('rejects %s instead of a string', async (_name, value) => {
    const verify = localVerifier();
    await expectKitError(verify(value as never), 'ERR_JWT_MALFORMED');
  });

  it.each([
    ['empty', ''],
    ['one segment', 'abc'],
    ['four segments', 'a.b.c.d'],
    ['five segments (JWE)', 'a.b.c.d.e'],
    ['empty header', '.eyJ9.c2ln'],
    ['empty payload', 'eyJhbGciOiJFUzI1NiJ9..c2ln'],
    ['header not base64url', 'ey+J.eyJ9.c2ln'],
  ])('rejects a malformed token: %s', async (_name, token) => {
    const verify = localVerifier();
    await expectKitError(verify(token), 'ERR_JWT_MALFORMED');
  });

  it.each([
    ['header is not JSON', () => `${btoa('not json').replace(/=+$/, '')}.${b64json(defaultClaims())}.c2ln`],
    ['header is an array', () => `${b64json(['ES256'])}.${b64json(defaultClaims())}.c2ln`],
    ['header is a string', () => `${b64json('ES256')}.${b64json(defaultClaims())}.c2ln`],
    ['header without alg', () => `${b64json({ kid: 'k', typ: 'at+jwt' })}.${b64json(defaultClaims())}.c2ln`],
    [
      'alg is not a string',
      () => `${b64json({ alg: 1, kid: 'k', typ: 'at+jwt' })}.${b64json(defaultClaims())}.c2ln`,
    ],
  ])('rejects a malformed header: %s', async (_name, make) => {
    const verify = localVerifier();
    await expectKitError(verify(make()), 'ERR_JWT_MALFORMED');
  });

  it('rejects a validly signed payload that is not a JSON object', async () => {
    const verify = localVerifier();
    const header = b64json({ alg: 'ES256', kid: es256.kid, typ: 'at+jwt' });
    for (const payload of [b64json([1, 2]), btoa('{"sub":').replace(/=+$/, '')]) {
      const input = new TextEncoder().encode(`${header}.${payload}`);
      const signature = new Uint8Array(
        await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, es256.privateKey, input),
      );
      const sig = btoa(String.fromCharCode(...signature))
        .replace(/\+/g, '-')
        .replace(/\//g, '_')
        .replace(/=+$/, '');
      await expectKitError(verify(`${header}.${payload}.${sig}`), 'ERR_JWT_MALFORMED');
    }
  });

  it('rejects a token longer than 8 KiB before parsing it', async () => {
    const verify = localVerifier();
    await expectKitError(verify('a'.repeat(MAX_TOKEN_LENGTH + 1)), 'ERR_JWT_MALFORMED');
    // A genuinely signed, otherwise valid token that is too long.
    const token = await mint(es256, { claims: { padding: 'x'.repeat(MAX_TOKEN_LENGTH) } });
    await expectKitError(verify(token), 'ERR_JWT_MALFORMED', { token });
  });

  it('never puts the token in an error message', async () => {
    const verify = localVerifier();
    const token = await mint(es256, { claims: { iss: 'https://evil.example.com' } });
    const error = await expectKitError(verify(token), 'ERR_JWT_CLAIM_INVALID', { token });
    expect(error.message).not.toContain('evil');
  });
});
