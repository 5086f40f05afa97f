import {
  accessTokenHash,
  DPOP_T0,
  DPOP_URL,
  generateDpopKey,
  makeProof,
  publicJwk,
} from '@kit/test-support/dpop';
import { b64u, jsonSegment, jws } from '@kit/test-support/hostile-tokens';
import { beforeEach, describe, expect, it } from 'vitest';
import { CRYPTO_PATHS, createTestVerifier, requestWith } from './dpop-test-support.ts';
import type { DpopProofRequest, DpopProofVerifier } from './types.ts';

const key = generateDpopKey('ES256');
const other = generateDpopKey('EdDSA');
const T0s = DPOP_T0 / 1000;
const TOKEN = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEifQ.c2lnbmF0dXJl';

describe.each(CRYPTO_PATHS)('DPoP proof: claims, nonce and replay (%s)', (_, crypto) => {
  let verifier: DpopProofVerifier;
  let clock: ReturnType<typeof createTestVerifier>['clock'];
  beforeEach(() => {
    ({ verifier, clock } = createTestVerifier(crypto));
  });

  const verify = (proof: string, extra: Partial<DpopProofRequest> = {}) =>
    verifier.verify(requestWith(proof, extra));
  async function refused(proof: string, check: string, extra: Partial<DpopProofRequest> = {}) {
    await expect(verify(proof, extra)).rejects.toMatchObject({ code: 'ERR_DPOP_PROOF_INVALID', check });
  }

  it('refuses a jti that is missing, not a string, empty or over 256 characters', async () => {
    for (const jti of [undefined, 1, '', 'j'.repeat(257), ['a']])
      await refused(makeProof(key, { claims: { jti } }), 'jti');
    await expect(verify(makeProof(key, { claims: { jti: 'j'.repeat(256) } }))).resolves.toMatchObject({
      jti: 'j'.repeat(256),
    });
  });

  it('refuses an htm that is missing or not exactly the request method', async () => {
    for (const htm of [undefined, 'post', 'GET', 'POST ', 1])
      await refused(makeProof(key, { claims: { htm } }), 'htm');
    await refused(makeProof(key), 'htm', { method: 'PUT' });
    await expect(
      verify(makeProof(key, { claims: { htm: 'GET' } }), { method: 'GET' }),
    ).resolves.toBeDefined();
  });

  it('refuses an htu that is missing, not a URL or another URL', async () => {
    for (const htu of [
      undefined,
      1,
      '',
      '/token',
      'https://auth.example.com/other',
      'https://evil.example.com/token',
      'http://auth.example.com/token',
      'https://auth.example.com:8443/token',
      'https://user@auth.example.com/token',
      'ftp://auth.example.com/token',
    ]) {
      await refused(makeProof(key, { claims: { htu } }), 'htu');
    }
    await refused(makeProof(key), 'htu', { url: 'https://auth.example.com/token/more' });
  });

  it('compares htu without query and fragment, after normalising both sides', async () => {
    for (const [htu, url] of [
      ['https://auth.example.com/token', 'https://auth.example.com/token?x=1'],
      ['https://auth.example.com/token?state=1#f', 'https://auth.example.com/token'],
      ['HTTPS://AUTH.example.com:443/token', 'https://auth.example.com/token'],
      ['https://auth.example.com/%7Etoken', 'https://auth.example.com/~token'],
    ] as const) {
      await expect(
        verify(makeProof(key, { claims: { htu } }), { url }),
        `${htu} ~ ${url}`,
      ).resolves.toBeDefined();
      await expect(verify(makeProof(key, { claims: { htu } }), { url: new URL(url) })).resolves.toBeDefined();
    }
  });

  it('refuses an iat that is missing, not a number, too old or in the future, with the tolerance', async () => {
    for (const iat of [undefined, String(T0s), null, [T0s]])
      await refused(makeProof(key, { claims: { iat } }), 'iat');
    // JSON has no Infinity, but 1e400 parses to it.
    const header = jsonSegment({ typ: 'dpop+jwt', alg: 'ES256', jwk: publicJwk(key) });
    const infinite = b64u(`{"jti":"inf","htm":"POST","htu":"${DPOP_URL}","iat":1e400}`);
    await refused(jws(header, infinite, { key }), 'iat');
    // Window: maxAge 60 s + tolerance 5 s in the past, tolerance 5 s in the future.
    await expect(verify(makeProof(key, { claims: { iat: T0s - 65 } }))).resolves.toBeDefined();
    await refused(makeProof(key, { claims: { iat: T0s - 65.001 } }), 'iat');
    await expect(verify(makeProof(key, { claims: { iat: T0s + 5 } }))).resolves.toBeDefined();
    await refused(makeProof(key, { claims: { iat: T0s + 5.001 } }), 'iat');
    // The verifier's clock decides.
    const proof = makeProof(key, { claims: { iat: T0s } });
    clock.advance(66_000);
    await refused(proof, 'iat');
  });

  it('with an access token, refuses an ath that is missing or not its SHA-256; without one, ignores ath', async () => {
    const accessToken = TOKEN;
    await refused(makeProof(key), 'ath', { accessToken });
    for (const ath of [
      accessTokenHash(`${TOKEN}x`),
      accessTokenHash(TOKEN).toUpperCase(),
      1,
      `${accessTokenHash(TOKEN)}=`,
    ]) {
      await refused(makeProof(key, { claims: { ath } }), 'ath', { accessToken });
    }
    await expect(
      verify(makeProof(key, { claims: { ath: accessTokenHash(TOKEN) } }), { accessToken }),
    ).resolves.toBeDefined();
    await expect(verify(makeProof(key, { claims: { ath: 'anything' } }))).resolves.toBeDefined();
  });

  it('with server nonces, refuses a proof without one of them with ERR_DPOP_NONCE_REQUIRED', async () => {
    const nonce = ['nonce-new', 'nonce-old'];
    for (const value of [undefined, 'nonce-other', 1, 'nonce-ne']) {
      await expect(verify(makeProof(key, { claims: { nonce: value } }), { nonce })).rejects.toMatchObject({
        code: 'ERR_DPOP_NONCE_REQUIRED',
      });
    }
    await expect(
      verify(makeProof(key, { claims: { nonce: 'nonce-old' } }), { nonce }),
    ).resolves.toMatchObject({
      nonce: 'nonce-old',
    });
    await expect(verify(makeProof(key, { claims: { nonce: 'n' } }), { nonce: 'n' })).resolves.toMatchObject({
      nonce: 'n',
    });
    // A proof that fails another check is not a nonce problem.
    await refused(makeProof(key, { claims: { htm: 'GET' } }), 'htm', { nonce });
  });

  it('refuses a proof used before, across keys only when the key is the same', async () => {
    const proof = makeProof(key, { claims: { jti: 'once' } });
    await expect(verify(proof)).resolves.toMatchObject({ jti: 'once' });
    await refused(proof, 'replay');
    // Another proof by the same key with the same jti: a replay too.
    await refused(makeProof(key, { claims: { jti: 'once', iat: T0s - 1 } }), 'replay');
    // The same jti by another key: not this client's jti.
    await expect(verify(makeProof(other, { claims: { jti: 'once' } }))).resolves.toMatchObject({
      jti: 'once',
    });
    // Still a replay until the proof leaves the window, and then refused for its age.
    clock.advance(65_000);
    await refused(proof, 'replay');
    clock.advance(1);
    await refused(proof, 'iat');
  });

  it('remembers only proofs that pass every other check: a bad proof uses up no jti', async () => {
    await refused(makeProof(key, { claims: { jti: 'kept', htm: 'GET' } }), 'htm');
    await refused(makeProof(key, { claims: { jti: 'kept', ath: 'x' } }), 'ath', { accessToken: TOKEN });
    await expect(
      verify(makeProof(key, { claims: { jti: 'kept', nonce: 'a' } }), { nonce: 'b' }),
    ).rejects.toMatchObject({
      code: 'ERR_DPOP_NONCE_REQUIRED',
    });
    await expect(verify(makeProof(key, { claims: { jti: 'kept' } }))).resolves.toBeDefined();
  });

  it('gives the replay cache a hashed key, and an expiry at the end of the window', async () => {
    const seen: { key: string; expiresAt: number; now: number }[] = [];
    const { verifier: recording } = createTestVerifier(crypto, {
      replayCache: {
        async remember(k, o) {
          seen.push({ key: k, ...o });
          return true;
        },
      },
    });
    await recording.verify(requestWith(makeProof(key, { claims: { jti: 'visible-jti', iat: T0s - 10 } })));
    expect(seen).toEqual([
      {
        key: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        expiresAt: DPOP_T0 - 10_000 + 65_000 + 1,
        now: DPOP_T0,
      },
    ]);
  });

  it('refuses the proof when the replay cache cannot answer', async () => {
    const { verifier: failing } = createTestVerifier(crypto, {
      replayCache: {
        remember: () => Promise.reject(Object.assign(new Error('down'), { code: 'ERR_STORE_UNAVAILABLE' })),
      },
    });
    await expect(failing.verify(requestWith(makeProof(key)))).rejects.toMatchObject({
      code: 'ERR_STORE_UNAVAILABLE',
    });
  });
});
