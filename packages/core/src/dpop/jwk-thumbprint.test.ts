import { generateKeyPairSync } from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';
import { describe, expect, it } from 'vitest';
import { jwkThumbprint } from '../index.ts';
import { webDpopCrypto } from './dpop-crypto.ts';
import { thumbprintWith } from './jwk-thumbprint.ts';

// RFC 7638 §3.1: the example RSA key and its thumbprint.
const RFC_7638_KEY = {
  kty: 'RSA',
  n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
  e: 'AQAB',
  alg: 'RS256',
  kid: '2011-04-29',
};
const RFC_7638_THUMBPRINT = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs';

function generated() {
  return [
    ['EC P-256', generateKeyPairSync('ec', { namedCurve: 'P-256' })],
    ['EC P-384', generateKeyPairSync('ec', { namedCurve: 'P-384' })],
    ['EC P-521', generateKeyPairSync('ec', { namedCurve: 'P-521' })],
    ['OKP Ed25519', generateKeyPairSync('ed25519')],
    ['RSA 2048', generateKeyPairSync('rsa', { modulusLength: 2048 })],
  ] as const;
}

describe.each([
  ['node:crypto', jwkThumbprint],
  ['Web Crypto', (jwk: object) => thumbprintWith(jwk, webDpopCrypto)],
])('jwkThumbprint (%s)', (_, thumbprint) => {
  it('gives the thumbprint of the RFC 7638 §3.1 example', async () => {
    expect(await thumbprint(RFC_7638_KEY)).toBe(RFC_7638_THUMBPRINT);
  });

  it("agrees with jose's calculateJwkThumbprint for generated keys of every type", async () => {
    for (const [label, pair] of generated()) {
      const publicJwk = pair.publicKey.export({ format: 'jwk' });
      const expected = await calculateJwkThumbprint(publicJwk as never, 'sha256');
      expect(await thumbprint(publicJwk), label).toBe(expected);
      expect(expected, label).toMatch(/^[A-Za-z0-9_-]{43}$/);
      // A private JWK names the same key; extra members and their order change nothing.
      const privateJwk = pair.privateKey.export({ format: 'jwk' });
      expect(await thumbprint(privateJwk), label).toBe(expected);
      const shuffled = Object.fromEntries(Object.entries({ ...publicJwk, kid: 'k', use: 'sig' }).reverse());
      expect(await thumbprint(shuffled), label).toBe(expected);
    }
  });

  it('hashes the required members only, in lexicographic order, without whitespace', async () => {
    const { createHash } = await import('node:crypto');
    const jwk = { y: 'Y', x: 'X', kty: 'EC', crv: 'P-256', d: 'private' };
    expect(await thumbprint(jwk)).toBe(
      createHash('sha256').update('{"crv":"P-256","kty":"EC","x":"X","y":"Y"}').digest('base64url'),
    );
    expect(await thumbprint({ x: 'X', crv: 'Ed25519', kty: 'OKP' })).toBe(
      createHash('sha256').update('{"crv":"Ed25519","kty":"OKP","x":"X"}').digest('base64url'),
    );
  });

  it('refuses symmetric keys, other curves and incomplete keys with ERR_INVALID_INPUT', async () => {
    const refused: unknown[] = [
      { kty: 'oct', k: 'c2VjcmV0' },
      { kty: 'EC', crv: 'secp256k1', x: 'X', y: 'Y' },
      { kty: 'OKP', crv: 'X25519', x: 'X' },
      { kty: 'EC', crv: 'P-256', x: 'X' },
      { kty: 'EC', crv: 'P-256', x: 'X', y: '' },
      { kty: 'RSA', n: 'N' },
      { kty: 'RSA', n: 'N', e: 3 },
      { kty: '__proto__', n: 'N', e: 'AQAB' },
      { n: 'N', e: 'AQAB' },
      null,
      'RSA',
      [],
    ];
    for (const jwk of refused) {
      await expect(thumbprint(jwk as never), JSON.stringify(jwk)).rejects.toMatchObject({
        code: 'ERR_INVALID_INPUT',
      });
    }
  });
});
