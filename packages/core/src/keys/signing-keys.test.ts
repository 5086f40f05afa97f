import { calculateJwkThumbprint, createLocalJWKSet, importJWK, type JWK, jwtVerify, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SigningAlgorithm } from './algorithms.ts';
import {
  generateSigningKeys,
  importSigningKeys,
  type PrivateJwks,
  type PrivateSigningJwk,
} from './signing-keys.ts';
import { ALGORITHMS, generateOneOfEach, withoutKid } from './signing-keys-test-support.ts';

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'] as const;
const SHAPE: Record<SigningAlgorithm, { kty: string; crv?: string }> = {
  ES256: { kty: 'EC', crv: 'P-256' },
  ES384: { kty: 'EC', crv: 'P-384' },
  EdDSA: { kty: 'OKP', crv: 'Ed25519' },
  RS256: { kty: 'RSA' },
  PS256: { kty: 'RSA' },
};

describe('generateSigningKeys', () => {
  let generated: Record<SigningAlgorithm, PrivateSigningJwk>;

  beforeAll(async () => {
    generated = await generateOneOfEach();
  });

  it('defaults to ES256', async () => {
    const { keys } = await generateSigningKeys();
    expect(keys).toHaveLength(1);
    expect(keys[0]!.alg).toBe('ES256');
    expect(keys[0]!.kty).toBe('EC');
    expect(keys[0]!.crv).toBe('P-256');
  });

  it.each(ALGORITHMS)('%s: kid is the RFC 7638 thumbprint; alg, use and private members set', async (alg) => {
    const key = generated[alg];
    expect(key.alg).toBe(alg);
    expect(key.use).toBe('sig');
    expect(key.kty).toBe(SHAPE[alg].kty);
    if (SHAPE[alg].crv) expect(key.crv).toBe(SHAPE[alg].crv);
    expect(typeof key.d).toBe('string');
    expect(key.d!.length).toBeGreaterThan(0);
    expect(key.kid).toBe(await calculateJwkThumbprint(key, 'sha256'));
    // The thumbprint covers public members only: the public half alone gives the same kid.
    const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub } = key;
    expect(key.kid).toBe(await calculateJwkThumbprint(pub, 'sha256'));
    expect(key.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('RSA keys are 2048 bits with CRT members by default', () => {
    for (const alg of ['RS256', 'PS256'] as const) {
      const key = generated[alg];
      expect(Buffer.from(key.n!, 'base64url').length).toBe(256);
      for (const member of ['p', 'q', 'dp', 'dq', 'qi'] as const) expect(typeof key[member]).toBe('string');
    }
  });

  it('makes a new key each time', async () => {
    const a = (await generateSigningKeys()).keys[0]!;
    const b = (await generateSigningKeys()).keys[0]!;
    expect(a.kid).not.toBe(b.kid);
    expect(a.d).not.toBe(b.d);
  });
  describe('importSigningKeys', () => {
    it.each(ALGORITHMS)('%s: imports the JSON string and the object alike', async (alg) => {
      const jwks: PrivateJwks = { keys: [generated[alg]] };
      const fromString = await importSigningKeys(JSON.stringify(jwks));
      const fromObject = await importSigningKeys(jwks);
      for (const set of [fromString, fromObject]) {
        expect(set.keys).toHaveLength(1);
        expect(set.current.kid).toBe(generated[alg].kid);
        expect(set.current.alg).toBe(alg);
        expect(set.current.privateKey.type).toBe('private');
        // The imported private key cannot be exported again.
        expect(set.current.privateKey.extractable).toBe(false);
      }
      expect(fromString.publicJwks()).toEqual(fromObject.publicJwks());
    });

    it.each(ALGORITHMS)('%s: publishes public members only', async (alg) => {
      const key = generated[alg];
      const set = await importSigningKeys({ keys: [key] });
      const published = set.publicJwks();
      expect(published.keys).toHaveLength(1);
      const pub = published.keys[0]! as unknown as Record<string, unknown>;
      for (const member of PRIVATE_MEMBERS) expect(pub, member).not.toHaveProperty(member);
      expect(set.current.publicJwk).not.toHaveProperty('d');
      const json = JSON.stringify(published);
      for (const member of PRIVATE_MEMBERS) {
        const value = (key as unknown as Record<string, unknown>)[member];
        if (typeof value === 'string') expect(json).not.toContain(value);
      }
      const expected: Record<string, unknown> = { kty: key.kty, kid: key.kid, alg, use: 'sig' };
      for (const member of ['crv', 'x', 'y', 'n', 'e'] as const)
        if (key[member] !== undefined) expected[member] = key[member];
      expect(pub).toEqual(expected);
    });

    it('drops members it does not know from the published key', async () => {
      const key = { ...generated.ES256, key_ops: ['sign'], ext: true, x5c: ['AAAA'], custom: 'private note' };
      const pub = (await importSigningKeys({ keys: [key] })).publicJwks().keys[0]! as unknown as Record<
        string,
        unknown
      >;
      expect(Object.keys(pub).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
    });

    it.each(ALGORITHMS)(
      '%s: signs with the imported key and verifies with jose against the public JWK',
      async (alg) => {
        const set = await importSigningKeys(JSON.stringify({ keys: [generated[alg]] }));
        const jwt = await new SignJWT({ sub: 'alice' })
          .setProtectedHeader({ alg: set.current.alg, kid: set.current.kid })
          .sign(set.current.privateKey);
        const { payload, protectedHeader } = await jwtVerify(jwt, createLocalJWKSet(set.publicJwks()), {
          algorithms: [alg],
        });
        expect(payload.sub).toBe('alice');
        expect(protectedHeader.kid).toBe(set.current.kid);
        const publicKey = await importJWK(set.publicJwks().keys[0] as JWK, alg);
        await expect(jwtVerify(jwt, publicKey)).resolves.toBeDefined();
        // And not with another key of the same algorithm.
        const other = await importSigningKeys(await generateSigningKeys({ alg }));
        await expect(jwtVerify(jwt, createLocalJWKSet(other.publicJwks()))).rejects.toThrow();
      },
    );

    it('sets a missing kid to the RFC 7638 thumbprint', async () => {
      for (const alg of ALGORITHMS) {
        const set = await importSigningKeys({ keys: [withoutKid(generated[alg]) as PrivateSigningJwk] });
        const thumbprint = await calculateJwkThumbprint(generated[alg], 'sha256');
        expect(set.current.kid).toBe(thumbprint);
        expect(set.publicJwks().keys[0]!.kid).toBe(thumbprint);
      }
    });

    it('keeps a kid that is given', async () => {
      const set = await importSigningKeys({ keys: [{ ...generated.ES256, kid: '2024-key-1' }] });
      expect(set.current.kid).toBe('2024-key-1');
      expect(set.publicJwks().keys[0]!.kid).toBe('2024-key-1');
    });

    it('makes the first key current and publishes every key in order', async () => {
      const set = await importSigningKeys({ keys: [generated.EdDSA, generated.ES256, generated.RS256] });
      expect(set.current.kid).toBe(generated.EdDSA.kid);
      expect(set.current.alg).toBe('EdDSA');
      expect(set.keys.map((k) => k.kid)).toEqual([
        generated.EdDSA.kid,
        generated.ES256.kid,
        generated.RS256.kid,
      ]);
      expect(set.publicJwks().keys.map((k) => k.kid)).toEqual(set.keys.map((k) => k.kid));
      const reversed = await importSigningKeys({ keys: [generated.RS256, generated.EdDSA] });
      expect(reversed.current.kid).toBe(generated.RS256.kid);
    });

    it('hands out copies of the public JWKS', async () => {
      const set = await importSigningKeys({ keys: [generated.ES256] });
      const first = set.publicJwks();
      (first.keys[0] as unknown as Record<string, unknown>).d = 'leak';
      first.keys[0]!.kid = 'changed';
      expect(set.publicJwks().keys[0]).not.toHaveProperty('d');
      expect(set.publicJwks().keys[0]!.kid).toBe(generated.ES256.kid);
    });
  });
});
