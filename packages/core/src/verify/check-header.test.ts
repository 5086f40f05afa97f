import { expectKitError } from '@kit/test-support';
import {
  AUDIENCE,
  b64json,
  bytesToBase64url,
  createLocalSetup,
  createTestKey,
  defaultClaims,
  ISSUER,
  mint,
  rsaKeyAsPss,
  T0,
} from '@kit/test-support/verifier';
import { exportJWK, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createVerifier } from './index.ts';

// The protected header: `typ`, `crit`, `kid`, embedded keys, and algorithm confusion.

/** Every test key, and verifiers over a local JWKS holding them all with a clock frozen at {@link T0}. */
const { keys, es256, localVerifier } = await createLocalSetup(createVerifier);

describe('createVerifier: header checks', () => {
  it('rejects a wrong `typ` (an ID token signed by the same key)', async () => {
    const verify = localVerifier();
    for (const typ of ['JWT', 'application/jwt', 'at+jwt+x', 'dpop+jwt']) {
      const token = await mint(es256, { header: { typ } });
      await expectKitError(verify(token), 'ERR_JWT_INVALID', { token });
    }
  });

  it('rejects a missing `typ`', async () => {
    const verify = localVerifier();
    const token = await mint(es256, { header: { typ: undefined } });
    await expectKitError(verify(token), 'ERR_JWT_INVALID', { token });
  });

  it('rejects a `crit` header it does not understand', async () => {
    const verify = localVerifier();
    const token = await mint(es256, {
      header: { crit: ['urn:example:ext'], 'urn:example:ext': 1 },
      signOptions: { crit: { 'urn:example:ext': true } },
    });
    await expectKitError(verify(token), 'ERR_JWT_INVALID', { token });
  });

  it('rejects a missing or empty `kid`', async () => {
    const verify = localVerifier();
    for (const kid of [undefined, '', 7]) {
      const token = await mint(es256, { header: { kid } });
      await expectKitError(verify(token), 'ERR_JWT_INVALID', { token });
    }
  });

  it('rejects an unknown `kid`', async () => {
    const verify = localVerifier();
    const token = await mint({ ...es256, kid: 'not-in-the-set' });
    await expectKitError(verify(token), 'ERR_JWKS_NO_MATCHING_KEY', { token });
  });

  it('ignores a key embedded in the header (`jwk`)', async () => {
    const attacker = await createTestKey('ES256', 'attacker');
    const verify = localVerifier();
    const token = await mint(attacker, { header: { jwk: attacker.jwk } });
    await expectKitError(verify(token), 'ERR_JWKS_NO_MATCHING_KEY', { token });
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
      await expectKitError(verify(token), 'ERR_JWT_ALG_NOT_ALLOWED', { token });
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
    await expectKitError(verify(token), 'ERR_JWT_ALG_NOT_ALLOWED', { token });
  });

  it('rejects an RS256 header whose kid names an EC key', async () => {
    const verify = localVerifier();
    const token = await mint({ alg: 'RS256', kid: es256.kid, privateKey: keys.RS256.privateKey });
    await expectKitError(verify(token), 'ERR_JWKS_NO_MATCHING_KEY', { token });
  });

  it('rejects an alg other than the one pinned by the key (`alg` member)', async () => {
    const verify = localVerifier();
    // PS256 against an RSA key published with alg RS256.
    const ps = await mint({ alg: 'PS256', kid: keys.RS256.kid, privateKey: await rsaKeyAsPss(keys.RS256) });
    await expectKitError(verify(ps), 'ERR_JWKS_NO_MATCHING_KEY', { token: ps });
    // ES384 against a P-256 key.
    const es384 = await mint({ alg: 'ES384', kid: es256.kid, privateKey: keys.ES384.privateKey });
    await expectKitError(verify(es384), 'ERR_JWKS_NO_MATCHING_KEY', { token: es384 });
  });

  it('rejects an algorithm left out of the allow-list', async () => {
    const verify = localVerifier({ algorithms: ['ES256'] });
    await expect(verify(await mint(es256))).resolves.toBeDefined();
    const token = await mint(keys.EdDSA);
    await expectKitError(verify(token), 'ERR_JWT_ALG_NOT_ALLOWED', { token });
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
    await expectKitError(verify(token), 'ERR_JWKS_NO_MATCHING_KEY', { token });
  });

  it('ignores keys published for encryption (`use: "enc"`)', async () => {
    const verify = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwks: { keys: [{ ...es256.jwk, use: 'enc' }, keys.EdDSA.jwk] },
      clock: () => T0,
    });
    const token = await mint(es256);
    await expectKitError(verify(token), 'ERR_JWKS_NO_MATCHING_KEY', { token });
  });
});
