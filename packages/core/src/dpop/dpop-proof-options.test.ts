import { randomUUID } from 'node:crypto';
import { DPOP_T0, DPOP_URL, generateDpopKey, makeProof } from '@kit/test-support/dpop';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createDpopProofVerifier, createMemoryDpopReplayCache } from '../index.ts';
import { CRYPTO_PATHS, createTestVerifier, requestWith } from './dpop-test-support.ts';

const replayCache = createMemoryDpopReplayCache();

describe('createDpopProofVerifier options', () => {
  it('checks its options when it runs, with ERR_INVALID_OPTIONS saying what to set', () => {
    const bad: [unknown, RegExp][] = [
      [undefined, /replayCache/],
      [{}, /Set `replayCache`/],
      [{ replayCache: {} }, /Set `replayCache`/],
      [{ replayCache, algorithms: [] }, /non-empty array/],
      [{ replayCache, algorithms: 'ES256' }, /non-empty array/],
      [{ replayCache, algorithms: ['none'] }, /asymmetric keys only/],
      [{ replayCache, algorithms: ['HS256'] }, /asymmetric keys only/],
      [{ replayCache, algorithms: ['ES256', 'ES512'] }, /may only contain/],
      [{ replayCache, maxAge: 0 }, /maxAge/],
      [{ replayCache, maxAge: '2h' }, /at most one hour/],
      [{ replayCache, clockTolerance: -1 }, /clockTolerance/],
      [{ replayCache, clockTolerance: '10m' }, /at most five minutes/],
      [{ replayCache, clock: 1 }, /`clock` must be a function/],
    ];
    for (const [options, message] of bad) {
      expect(() => createDpopProofVerifier(options as never), JSON.stringify(options)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_OPTIONS', message: expect.stringMatching(message) }),
      );
    }
  });

  it('lists the allowed algorithms, every supported one by default', () => {
    expect(createDpopProofVerifier({ replayCache }).algorithms).toEqual([
      'ES256',
      'EdDSA',
      'ES384',
      'RS256',
      'PS256',
    ]);
    expect(createDpopProofVerifier({ replayCache, algorithms: ['EdDSA', 'ES256'] }).algorithms).toEqual([
      'EdDSA',
      'ES256',
    ]);
  });

  it('takes maxAge and clockTolerance as the window', async () => {
    const key = generateDpopKey('ES256');
    const { verifier } = createTestVerifier(CRYPTO_PATHS[0]![1], { maxAge: '2m', clockTolerance: 0 });
    const T0s = DPOP_T0 / 1000;
    await expect(
      verifier.verify(requestWith(makeProof(key, { claims: { iat: T0s - 120 } }))),
    ).resolves.toBeDefined();
    await expect(
      verifier.verify(requestWith(makeProof(key, { claims: { iat: T0s - 121 } }))),
    ).rejects.toMatchObject({ check: 'iat' });
    await expect(
      verifier.verify(requestWith(makeProof(key, { claims: { iat: T0s + 1 } }))),
    ).rejects.toMatchObject({ check: 'iat' });
  });

  it('fails closed when the clock returns something that is not a time', async () => {
    const verifier = createDpopProofVerifier({ replayCache, clock: () => Number.NaN });
    await expect(verifier.verify(requestWith(makeProof(generateDpopKey('ES256'))))).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTIONS',
    });
  });

  it('refuses a request the caller got wrong with ERR_INVALID_INPUT, before reading the proof', async () => {
    const verifier = createDpopProofVerifier({ replayCache, clock: () => DPOP_T0 });
    const proof = makeProof(generateDpopKey('ES256'));
    for (const extra of [
      { method: '' },
      { method: undefined },
      { url: '/token' },
      { url: 'ftp://auth.example.com/token' },
      { accessToken: '' },
      { accessToken: 'x'.repeat(8193) },
      { nonce: [] },
      { nonce: '' },
      { nonce: ['a', 1] },
    ]) {
      await expect(
        verifier.verify(requestWith(proof, extra as never)),
        JSON.stringify(extra),
      ).rejects.toMatchObject({
        code: 'ERR_INVALID_INPUT',
      });
    }
    await expect(verifier.verify(undefined as never)).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' });
    // None of those used up the proof.
    await expect(verifier.verify(requestWith(proof))).resolves.toBeDefined();
  });
});

describe.each(CRYPTO_PATHS)('DPoP proof interoperability (%s)', (_, dpopCrypto) => {
  it("accepts proofs that jose makes, as a client library would, and agrees with jose's thumbprint", async () => {
    const { verifier } = createTestVerifier(dpopCrypto, { clock: () => Date.now() });
    for (const alg of ['ES256', 'EdDSA', 'ES384', 'RS256', 'PS256'] as const) {
      const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
      const jwk = await exportJWK(publicKey);
      const proof = await new SignJWT({ htm: 'POST', htu: `${DPOP_URL}?ignored=1`, ath: 'x' })
        .setProtectedHeader({ typ: 'dpop+jwt', alg, jwk })
        .setJti(randomUUID())
        .setIssuedAt()
        .sign(privateKey);
      const result = await verifier.verify(requestWith(proof));
      expect(result).toMatchObject({ alg, jkt: await calculateJwkThumbprint(jwk, 'sha256') });
    }
  });
});
