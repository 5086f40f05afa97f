import { generateKeyPairSync, generatePrimeSync } from 'node:crypto';
import { generateDpopKey, makeProof, publicJwk, rsaKeyWithExponent } from '@kit/test-support/dpop';
import { jsonSegment, jws } from '@kit/test-support/hostile-tokens';
import { calculateJwkThumbprint } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { CRYPTO_PATHS, createTestVerifier, requestWith } from './dpop-test-support.ts';
import type { DpopProofVerifier } from './types.ts';

const ALGS = ['ES256', 'EdDSA', 'ES384', 'RS256', 'PS256'] as const;
const keys = Object.fromEntries(ALGS.map((alg) => [alg, generateDpopKey(alg)])) as Record<
  (typeof ALGS)[number],
  ReturnType<typeof generateDpopKey>
>;
const es256 = keys.ES256;

describe.each(CRYPTO_PATHS)('DPoP proof: structure, header, key and signature (%s)', (_, crypto) => {
  let verifier: DpopProofVerifier;
  beforeAll(() => {
    ({ verifier } = createTestVerifier(crypto));
  });

  async function refused(proof: unknown, check: string, extra = {}) {
    await expect(verifier.verify(requestWith(proof as string, extra))).rejects.toMatchObject({
      code: 'ERR_DPOP_PROOF_INVALID',
      check,
    });
  }

  it('accepts a valid proof of every allowed algorithm, and gives the key thumbprint', async () => {
    for (const alg of ALGS) {
      const proof = makeProof(keys[alg], { claims: { jti: `ok-${alg}` } });
      const result = await verifier.verify(requestWith(proof));
      expect(result).toEqual({
        jkt: await calculateJwkThumbprint(publicJwk(keys[alg]) as never, 'sha256'),
        jti: `ok-${alg}`,
        iat: expect.any(Number),
        alg,
      });
      // Again with the key cached.
      await expect(verifier.verify(requestWith(makeProof(keys[alg])))).resolves.toMatchObject({ alg });
    }
  });

  it('refuses no DPoP header (missing) and several (malformed)', async () => {
    for (const none of [undefined, null, '', []]) await refused(none, 'missing');
    const proof = makeProof(es256);
    await refused([proof, makeProof(es256)], 'malformed');
    // What `Headers.get` and Node make of two headers.
    await refused(`${proof}, ${makeProof(es256)}`, 'malformed');
    await expect(verifier.verify(requestWith([proof]))).resolves.toMatchObject({ alg: 'ES256' });
  });

  it('refuses a proof over 8 KiB before reading it, even one with a valid signature', async () => {
    const long = makeProof(es256, { claims: { pad: 'x'.repeat(8192) } });
    await refused(long, 'malformed');
    await expect(
      verifier.verify(requestWith(makeProof(es256, { claims: { pad: 'x'.repeat(5000) } }))),
    ).resolves.toBeDefined();
  });

  it('refuses anything but a compact JWS of three non-empty segments with JSON objects', async () => {
    const [h, p, s] = makeProof(es256).split('.') as [string, string, string];
    for (const bad of [
      `${h}.${p}`,
      `${h}.${p}.`,
      `.${p}.${s}`,
      `${h}..${s}`,
      `${h}.${p}.${s}.${s}.${s}`,
      `${h}.${p}.${s}=`,
      `${h}.${p}.${s.replaceAll('-', '+')}x`,
      `${jsonSegment([1])}.${p}.${s}`,
      `${Buffer.from('{not json').toString('base64url')}.${p}.${s}`,
      42,
    ]) {
      await refused(bad, 'malformed');
    }
    // A payload that is not an object, under a valid signature.
    await refused(
      jws(jsonSegment({ typ: 'dpop+jwt', alg: 'ES256', jwk: publicJwk(es256) }), jsonSegment('x'), {
        key: es256,
      }),
      'malformed',
    );
  });

  it('refuses a header with crit or b64, even under a valid signature', async () => {
    await refused(makeProof(es256, { header: { crit: ['exp'], exp: 1 } }), 'malformed');
    await refused(makeProof(es256, { header: { b64: false, crit: ['b64'] } }), 'malformed');
    await refused(makeProof(es256, { header: { b64: false } }), 'malformed');
  });

  it('refuses a typ other than exactly dpop+jwt', async () => {
    for (const typ of [
      undefined,
      'JWT',
      'at+jwt',
      'DPoP+JWT',
      'application/dpop+jwt',
      'dpop+jwt ',
      ['dpop+jwt'],
    ]) {
      await refused(makeProof(es256, { header: { typ } }), 'typ');
    }
  });

  it('refuses none, symmetric and unknown algorithms, and algorithms outside the allow-list', async () => {
    const header = (alg: unknown) => jsonSegment({ typ: 'dpop+jwt', alg, jwk: publicJwk(es256) });
    const payload = jsonSegment({ jti: 'j', htm: 'POST', htu: 'https://auth.example.com/token', iat: 1 });
    await refused(jws(header('none'), payload, { signature: 'AAAA' }), 'alg');
    await refused(
      jws(header('HS256'), payload, { hmac: JSON.stringify(publicJwk(es256)), hash: 'sha256' }),
      'alg',
    );
    for (const alg of [undefined, 'ES512', 'es256', '__proto__', 'toString', 1]) {
      await refused(makeProof(es256, { header: { alg } }), 'alg');
    }
    const { verifier: only } = createTestVerifier(crypto, { algorithms: ['ES256'] });
    expect(only.algorithms).toEqual(['ES256']);
    await expect(only.verify(requestWith(makeProof(keys.EdDSA)))).rejects.toMatchObject({ check: 'alg' });
    await expect(only.verify(requestWith(makeProof(es256)))).resolves.toBeDefined();
  });

  it('refuses a missing jwk, a private or symmetric key, and a key that does not fit alg', async () => {
    await refused(makeProof(es256, { header: { jwk: undefined } }), 'jwk');
    for (const jwk of [null, 'key', [publicJwk(es256)]])
      await refused(makeProof(es256, { header: { jwk } }), 'jwk');
    // The private JWK itself, under a valid signature: the client leaked its key.
    const privateJwk = es256.privateKey.export({ format: 'jwk' });
    await refused(makeProof(es256, { header: { jwk: privateJwk } }), 'jwk');
    const rsaPrivate = keys.RS256.privateKey.export({ format: 'jwk' }) as Record<string, unknown>;
    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth']) {
      const jwk = { ...publicJwk(keys.RS256), [member]: rsaPrivate[member] ?? [] };
      await refused(makeProof(keys.RS256, { header: { jwk } }), 'jwk');
    }
    await refused(makeProof(es256, { header: { jwk: { ...publicJwk(es256), k: 'c2VjcmV0' } } }), 'jwk');
    await refused(makeProof(es256, { header: { jwk: { kty: 'oct', k: 'c2VjcmV0' } } }), 'jwk');
    // Key type or curve against alg: an EC key with RS256, a P-256 key with ES384, an RSA key with ES256.
    await refused(makeProof(es256, { header: { alg: 'ES384' } }), 'jwk');
    await refused(makeProof(keys.RS256, { header: { alg: 'ES256' }, signing: { key: es256 } }), 'jwk');
    await refused(makeProof(es256, { header: { alg: 'RS256' }, signing: { key: keys.RS256 } }), 'jwk');
  });

  it("refuses a jwk whose own alg, use or key_ops exclude this signature, and takes them when they don't", async () => {
    const jwk = publicJwk(es256);
    await refused(makeProof(es256, { header: { jwk: { ...jwk, alg: 'ES384' } } }), 'jwk');
    await refused(makeProof(es256, { header: { jwk: { ...jwk, use: 'enc' } } }), 'jwk');
    await refused(makeProof(es256, { header: { jwk: { ...jwk, key_ops: ['sign'] } } }), 'jwk');
    await refused(makeProof(es256, { header: { jwk: { ...jwk, key_ops: 'verify' } } }), 'jwk');
    const browser = { ...jwk, alg: 'ES256', use: 'sig', key_ops: ['verify'], ext: true };
    await expect(
      verifier.verify(requestWith(makeProof(es256, { header: { jwk: browser } }))),
    ).resolves.toBeDefined();
  });

  it('refuses keys outside the size bounds, or that are not keys', async () => {
    const jwk = publicJwk(es256) as { x: string; y: string };
    await refused(makeProof(es256, { header: { jwk: { ...jwk, x: `${jwk.x}A` } } }), 'jwk');
    // A point that is not on the curve (right sizes).
    await refused(makeProof(es256, { header: { jwk: { ...jwk, y: jwk.x } } }), 'jwk');
    await refused(makeProof(es256, { header: { jwk: { ...jwk, y: undefined } } }), 'jwk');
    // RSA: 2047 bits passes the size bound on `n` and is refused once imported; 1024 bits by both.
    for (const modulusLength of [2047, 1024]) {
      const pair = generateKeyPairSync('rsa', { modulusLength });
      await refused(makeProof({ ...keys.RS256, ...pair }), 'jwk');
    }
    // An exponent over four octets is refused by the size bound alone: Node would verify with it,
    // at a cost that grows with its size. Four octets are fine.
    await refused(makeProof(rsaKeyWithExponent(generatePrimeSync(65, { bigint: true }))), 'jwk');
    const fourOctets = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 2 ** 32 - 1 });
    await expect(
      verifier.verify(requestWith(makeProof({ ...keys.RS256, ...fourOctets }))),
    ).resolves.toBeDefined();
  });

  it('refuses a signature by another key, or altered', async () => {
    await refused(makeProof(es256, { signing: { key: generateDpopKey('ES256') } }), 'signature');
    await refused(
      makeProof(keys.RS256, { header: { alg: 'PS256' }, signing: { key: keys.RS256 } }),
      'signature',
    );
    const [h, p, s] = makeProof(es256).split('.') as [string, string, string];
    const flipped = Buffer.from(s, 'base64url');
    flipped[5]! ^= 1;
    await refused(`${h}.${p}.${flipped.toString('base64url')}`, 'signature');
    await refused(`${h}.${p}.${s.slice(0, 40)}`, 'signature');
    // A DER-encoded ECDSA signature is not JWS.
    await refused(makeProof(es256, { signing: { key: es256, der: true } }), 'signature');
    // A payload changed after signing.
    await refused(
      `${h}.${jsonSegment({ jti: 'other', htm: 'POST', htu: 'https://auth.example.com/token', iat: 1893499200 })}.${s}`,
      'signature',
    );
  });
});
