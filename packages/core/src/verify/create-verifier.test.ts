import { exportJWK, generateKeyPair, importJWK, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type KitError,
  KitInvalidOptionsError,
  KitJwksInvalidError,
  type KitJwtClaimInvalidError,
} from '../errors.ts';
import type { VerifierAlgorithm } from './algorithms.ts';
import { type AccessTokenVerifier, createVerifier, MAX_TOKEN_LENGTH, type VerifierOptions } from './index.ts';
import {
  AUDIENCE,
  b64json,
  bytesToBase64url,
  createClock,
  createTestKey,
  defaultClaims,
  expectKitError,
  ISSUER,
  mint,
  T0,
  type TestKey,
} from './test-fixtures.ts';

const ALL: VerifierAlgorithm[] = ['ES256', 'ES384', 'EdDSA', 'RS256', 'PS256'];

let keys: Record<VerifierAlgorithm, TestKey>;
let es256: TestKey;

beforeAll(async () => {
  const list = await Promise.all(ALL.map((alg) => createTestKey(alg)));
  keys = Object.fromEntries(list.map((key) => [key.alg, key])) as Record<VerifierAlgorithm, TestKey>;
  es256 = keys.ES256;
});

/** The RS256 test key's private key, imported for PS256 (same RSA key material). */
async function rsaKeyAsPss(): Promise<CryptoKey> {
  return (await importJWK(await exportJWK(keys.RS256.privateKey), 'PS256')) as CryptoKey;
}

/** A verifier over a local JWKS holding every test key, with a clock frozen at {@link T0}. */
function localVerifier(options: Partial<VerifierOptions> = {}): AccessTokenVerifier {
  const clock = createClock();
  return createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwks: { keys: Object.values(keys).map((key) => key.jwk) },
    clock: clock.now,
    ...options,
  });
}

describe('createVerifier: valid tokens', () => {
  it.each(ALL)('accepts a valid %s token and returns its claims', async (alg) => {
    const verify = localVerifier();
    const token = await mint(keys[alg], { claims: { scope: 'read' } });
    const claims = await verify(token);
    expect(claims).toEqual({ ...defaultClaims(), scope: 'read' });
  });

  it('accepts each algorithm only through a key of its own kid', async () => {
    const verify = localVerifier();
    for (const alg of ALL) {
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
      verify(await mint({ alg: 'PS256', kid: keys.RS256.kid, privateKey: await rsaKeyAsPss() })),
    ).resolves.toMatchObject({ sub: 'user-1' });
  });
});

describe('createVerifier: time claims', () => {
  it('rejects a token expired beyond the clock tolerance', async () => {
    const verify = localVerifier();
    const token = await mint(es256, { claims: { exp: T0 / 1000 - 6 } });
    await expectKitError(verify(token), 'ERR_JWT_EXPIRED', token);
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
    await expectKitError(verify(token), 'ERR_JWT_EXPIRED', token);
  });

  it('fails closed when the clock returns something that is not a time', async () => {
    const verify = localVerifier({ clock: () => Number.NaN });
    await expectKitError(verify(await mint(es256, { claims: { exp: 1 } })), 'ERR_INVALID_OPTIONS');
  });

  it('rejects `nbf` in the future beyond the tolerance, accepts it within', async () => {
    const verify = localVerifier();
    const late = await mint(es256, { claims: { nbf: T0 / 1000 + 60 } });
    const error = await expectKitError(verify(late), 'ERR_JWT_CLAIM_INVALID', late);
    expect((error as KitJwtClaimInvalidError).claim).toBe('nbf');
    await expect(verify(await mint(es256, { claims: { nbf: T0 / 1000 + 4 } }))).resolves.toBeDefined();
  });

  it('rejects an `iat` in the future beyond the tolerance', async () => {
    const verify = localVerifier();
    const token = await mint(es256, { claims: { iat: T0 / 1000 + 60 } });
    const error = await expectKitError(verify(token), 'ERR_JWT_CLAIM_INVALID', token);
    expect((error as KitJwtClaimInvalidError).claim).toBe('iat');
  });

  it.each([
    ['exp', 'soon'],
    ['iat', null],
    ['nbf', '0'],
  ])('rejects a non-numeric `%s`', async (claim, value) => {
    const verify = localVerifier();
    const token = await mint(es256, { claims: { [claim]: value } });
    const error = await expectKitError(verify(token), 'ERR_JWT_CLAIM_INVALID', token);
    expect((error as KitJwtClaimInvalidError).claim).toBe(claim);
  });
});

describe('createVerifier: issuer, audience and required claims', () => {
  it('rejects a wrong issuer', async () => {
    const verify = localVerifier();
    const token = await mint(es256, { claims: { iss: 'https://evil.example.com' } });
    const error = await expectKitError(verify(token), 'ERR_JWT_CLAIM_INVALID', token);
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
    const error = await expectKitError(verify(token), 'ERR_JWT_CLAIM_INVALID', token);
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
      const error = await expectKitError(verify(token), 'ERR_JWT_CLAIM_INVALID', token);
      expect((error as KitJwtClaimInvalidError).claim).toBe(claim);
    },
  );

  it.each(['sub', 'jti', 'sid', 'client_id'])('rejects an empty or non-string `%s`', async (claim) => {
    const verify = localVerifier();
    for (const value of ['', 42, ['x']]) {
      const token = await mint(es256, { claims: { [claim]: value } });
      const error = await expectKitError(verify(token), 'ERR_JWT_CLAIM_INVALID', token);
      expect((error as KitJwtClaimInvalidError).claim).toBe(claim);
    }
  });
});

describe('createVerifier: header checks', () => {
  it('rejects a wrong `typ` (an ID token signed by the same key)', async () => {
    const verify = localVerifier();
    for (const typ of ['JWT', 'application/jwt', 'at+jwt+x', 'dpop+jwt']) {
      const token = await mint(es256, { header: { typ } });
      await expectKitError(verify(token), 'ERR_JWT_INVALID', token);
    }
  });

  it('rejects a missing `typ`', async () => {
    const verify = localVerifier();
    const token = await mint(es256, { header: { typ: undefined } });
    await expectKitError(verify(token), 'ERR_JWT_INVALID', token);
  });

  it('rejects a `crit` header it does not understand', async () => {
    const verify = localVerifier();
    const token = await mint(es256, {
      header: { crit: ['urn:example:ext'], 'urn:example:ext': 1 },
      signOptions: { crit: { 'urn:example:ext': true } },
    });
    await expectKitError(verify(token), 'ERR_JWT_INVALID', token);
  });

  it('rejects a missing or empty `kid`', async () => {
    const verify = localVerifier();
    for (const kid of [undefined, '', 7]) {
      const token = await mint(es256, { header: { kid } });
      await expectKitError(verify(token), 'ERR_JWT_INVALID', token);
    }
  });

  it('rejects an unknown `kid`', async () => {
    const verify = localVerifier();
    const token = await mint({ ...es256, kid: 'not-in-the-set' });
    await expectKitError(verify(token), 'ERR_JWKS_NO_MATCHING_KEY', token);
  });

  it('ignores a key embedded in the header (`jwk`)', async () => {
    const attacker = await createTestKey('ES256', 'attacker');
    const verify = localVerifier();
    const token = await mint(attacker, { header: { jwk: attacker.jwk } });
    await expectKitError(verify(token), 'ERR_JWKS_NO_MATCHING_KEY', token);
  });
});

describe('createVerifier: algorithm confusion', () => {
  it('rejects `alg: none` (with and without a signature segment)', async () => {
    const verify = localVerifier();
    const header = b64json({ alg: 'none', kid: es256.kid, typ: 'at+jwt' });
    const payload = b64json(defaultClaims());
    await expectKitError(verify(`${header}.${payload}.`), 'ERR_JWT_ALG_NOT_ALLOWED');
    await expectKitError(verify(`${header}.${payload}.c2ln`), 'ERR_JWT_ALG_NOT_ALLOWED');
    const upper = b64json({ alg: 'NONE', kid: es256.kid, typ: 'at+jwt' });
    await expectKitError(verify(`${upper}.${payload}.`), 'ERR_JWT_ALG_NOT_ALLOWED');
  });

  it('rejects HS256 signed with the public key as the HMAC secret', async () => {
    const verify = localVerifier();
    const encoder = new TextEncoder();
    // The classic attack: the verifier's own public key, in any serialisation, as the secret.
    const secrets = [
      encoder.encode(JSON.stringify(es256.jwk)),
      new Uint8Array(await crypto.subtle.exportKey('spki', es256.publicKey)),
      new Uint8Array(await crypto.subtle.exportKey('raw', es256.publicKey)),
    ];
    for (const secret of secrets) {
      const token = await new SignJWT(defaultClaims())
        .setProtectedHeader({ alg: 'HS256', kid: es256.kid, typ: 'at+jwt' })
        .sign(secret);
      await expectKitError(verify(token), 'ERR_JWT_ALG_NOT_ALLOWED', token);
    }
  });

  it('rejects HS256 even when the JWKS holds a symmetric key under that kid', async () => {
    const secret = crypto.getRandomValues(new Uint8Array(32));
    const oct = { kty: 'oct', kid: 'shared', k: btoa(String.fromCharCode(...secret)).replace(/=+$/, '') };
    const verify = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwks: { keys: [oct, es256.jwk] },
      clock: () => T0,
    });
    const token = await new SignJWT(defaultClaims())
      .setProtectedHeader({ alg: 'HS256', kid: 'shared', typ: 'at+jwt' })
      .sign(secret);
    await expectKitError(verify(token), 'ERR_JWT_ALG_NOT_ALLOWED', token);
  });

  it('rejects an RS256 header whose kid names an EC key', async () => {
    const verify = localVerifier();
    const token = await mint({ alg: 'RS256', kid: es256.kid, privateKey: keys.RS256.privateKey });
    await expectKitError(verify(token), 'ERR_JWKS_NO_MATCHING_KEY', token);
  });

  it('rejects an alg other than the one pinned by the key (`alg` member)', async () => {
    const verify = localVerifier();
    // PS256 against an RSA key published with alg RS256.
    const ps = await mint({ alg: 'PS256', kid: keys.RS256.kid, privateKey: await rsaKeyAsPss() });
    await expectKitError(verify(ps), 'ERR_JWKS_NO_MATCHING_KEY', ps);
    // ES384 against a P-256 key.
    const es384 = await mint({ alg: 'ES384', kid: es256.kid, privateKey: keys.ES384.privateKey });
    await expectKitError(verify(es384), 'ERR_JWKS_NO_MATCHING_KEY', es384);
  });

  it('rejects an algorithm left out of the allow-list', async () => {
    const verify = localVerifier({ algorithms: ['ES256'] });
    await expect(verify(await mint(es256))).resolves.toBeDefined();
    const token = await mint(keys.EdDSA);
    await expectKitError(verify(token), 'ERR_JWT_ALG_NOT_ALLOWED', token);
  });

  it.each(['ES512', 'RS512', 'toString', '__proto__'])('rejects alg %s', async (alg) => {
    const verify = localVerifier();
    const token = `${b64json({ alg, kid: es256.kid, typ: 'at+jwt' })}.${b64json(defaultClaims())}.c2ln`;
    await expectKitError(verify(token), 'ERR_JWT_ALG_NOT_ALLOWED');
  });

  it('ignores keys whose `key_ops` exclude verify', async () => {
    const verify = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwks: { keys: [{ ...es256.jwk, key_ops: ['encrypt'] }, keys.EdDSA.jwk] },
      clock: () => T0,
    });
    await expectKitError(verify(await mint(es256)), 'ERR_JWKS_NO_MATCHING_KEY');
  });

  it('ignores RSA keys under 2048 bits', async () => {
    const weak = (await crypto.subtle.generateKey(
      {
        name: 'RSASSA-PKCS1-v1_5',
        modulusLength: 1024,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: 'SHA-256',
      },
      true,
      ['sign', 'verify'],
    )) as CryptoKeyPair;
    const jwk = { ...(await exportJWK(weak.publicKey)), kid: 'weak', alg: 'RS256' };
    const verify = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwks: { keys: [jwk, es256.jwk] },
      clock: () => T0,
    });
    const input = `${b64json({ alg: 'RS256', kid: 'weak', typ: 'at+jwt' })}.${b64json(defaultClaims())}`;
    const signature = await crypto.subtle.sign(
      'RSASSA-PKCS1-v1_5',
      weak.privateKey,
      new TextEncoder().encode(input),
    );
    const token = `${input}.${bytesToBase64url(new Uint8Array(signature))}`;
    await expectKitError(verify(token), 'ERR_JWKS_NO_MATCHING_KEY', token);
  });

  it('ignores keys published for encryption (`use: "enc"`)', async () => {
    const verify = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwks: { keys: [{ ...es256.jwk, use: 'enc' }, keys.EdDSA.jwk] },
      clock: () => T0,
    });
    const token = await mint(es256);
    await expectKitError(verify(token), 'ERR_JWKS_NO_MATCHING_KEY', token);
  });
});

describe('createVerifier: malformed and tampered tokens', () => {
  it('rejects a tampered payload', async () => {
    const verify = localVerifier();
    const token = await mint(es256);
    const [header, , signature] = token.split('.');
    const forged = `${header}.${b64json({ ...defaultClaims(), sub: 'admin' })}.${signature}`;
    await expectKitError(verify(forged), 'ERR_JWT_INVALID', forged);
  });

  it('rejects a tampered header', async () => {
    const verify = localVerifier();
    const token = await mint(es256);
    const [, payload, signature] = token.split('.');
    const forged = `${b64json({ alg: 'ES256', kid: es256.kid, typ: 'at+jwt', x: 1 })}.${payload}.${signature}`;
    await expectKitError(verify(forged), 'ERR_JWT_INVALID', forged);
  });

  it.each(ALL)('rejects a tampered %s signature', async (alg) => {
    const verify = localVerifier();
    const token = await mint(keys[alg]);
    const dot = token.lastIndexOf('.');
    const first = token[dot + 1] === 'A' ? 'B' : 'A';
    const forged = `${token.slice(0, dot + 1)}${first}${token.slice(dot + 2)}`;
    await expectKitError(verify(forged), 'ERR_JWT_INVALID', forged);
  });

  it('rejects a signature of another key with the same kid', async () => {
    const verify = localVerifier();
    const other = await createTestKey('ES256', es256.kid);
    const token = await mint(other);
    await expectKitError(verify(token), 'ERR_JWT_INVALID', token);
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
    await expectKitError(verify(token), 'ERR_JWT_MALFORMED', token);
  });

  it('never puts the token in an error message', async () => {
    const verify = localVerifier();
    const token = await mint(es256, { claims: { iss: 'https://evil.example.com' } });
    const error = await expectKitError(verify(token), 'ERR_JWT_CLAIM_INVALID', token);
    expect(error.message).not.toContain('evil');
  });
});

describe('createVerifier: options are checked when the factory runs', () => {
  const base = { issuer: ISSUER, audience: AUDIENCE, jwksUrl: 'https://auth.example.com/jwks.json' };

  it.each([
    ['no options', undefined, /issuer/],
    ['missing issuer', { ...base, issuer: undefined }, /`issuer`/],
    ['empty issuer', { ...base, issuer: '' }, /`issuer`/],
    ['missing audience', { ...base, audience: undefined }, /`audience`/],
    ['empty audience list', { ...base, audience: [] }, /`audience`/],
    ['audience list with a non-string', { ...base, audience: [AUDIENCE, 1] }, /`audience`/],
    ['neither jwks nor jwksUrl', { issuer: ISSUER, audience: AUDIENCE }, /exactly one of `jwksUrl`/],
    ['both jwks and jwksUrl', { ...base, jwks: { keys: [] } }, /exactly one of `jwksUrl`/],
    ['jwksUrl not a URL', { ...base, jwksUrl: '/jwks.json' }, /`jwksUrl`/],
    ['jwksUrl not http(s)', { ...base, jwksUrl: 'file:///etc/jwks.json' }, /http/],
    ['jwks not an object', { issuer: ISSUER, audience: AUDIENCE, jwks: 'keys' }, /`jwks`/],
    ['HS256 in algorithms', { ...base, algorithms: ['ES256', 'HS256'] }, /HS256.*public keys only/],
    ['none in algorithms', { ...base, algorithms: ['none'] }, /none/],
    ['unknown algorithm', { ...base, algorithms: ['ES512'] }, /ES256/],
    ['empty algorithms', { ...base, algorithms: [] }, /`algorithms`/],
    ['bad clockTolerance', { ...base, clockTolerance: '5 minutes' }, /`clockTolerance`/],
    ['negative clockTolerance', { ...base, clockTolerance: -1 }, /`clockTolerance`/],
    ['bad cooldown', { ...base, cooldown: 'soon' }, /`cooldown`/],
    ['bad cacheMaxAge', { ...base, cacheMaxAge: {} }, /`cacheMaxAge`/],
    ['zero timeout', { ...base, timeout: 0 }, /`timeout`/],
    ['fetch not a function', { ...base, fetch: 'fetch' }, /`fetch`/],
    ['clock not a function', { ...base, clock: 0 }, /`clock`/],
  ])('throws KitInvalidOptionsError for %s', (_name, options, message) => {
    let caught: unknown;
    try {
      createVerifier(options as never);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(KitInvalidOptionsError);
    expect((caught as KitError).code).toBe('ERR_INVALID_OPTIONS');
    expect((caught as Error).message).toMatch(message);
  });

  it('throws KitJwksInvalidError for a `jwks` without a `keys` array', () => {
    expect(() =>
      createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: { keys: 'nope' } as never }),
    ).toThrow(KitJwksInvalidError);
  });

  it('rejects verifications with ERR_JWKS_INVALID when a local set has no usable key', async () => {
    const verify = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwks: { keys: [{ kty: 'oct', kid: 'k', k: 'c2VjcmV0' }] },
      clock: () => T0,
    });
    const token = await mint(es256);
    await expectKitError(verify(token), 'ERR_JWKS_INVALID', token);
  });

  it('accepts durations as seconds or strings', () => {
    expect(() =>
      createVerifier({ ...base, clockTolerance: 0, cooldown: '1m', cacheMaxAge: '10m', timeout: 2 }),
    ).not.toThrow();
  });

  it('does not fetch anything when the factory runs', () => {
    let calls = 0;
    createVerifier({
      ...base,
      fetch: (async () => {
        calls++;
        return new Response('{}');
      }) as typeof fetch,
    });
    expect(calls).toBe(0);
  });
});
