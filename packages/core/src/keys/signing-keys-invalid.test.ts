import { generateKeyPairSync } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { KitError } from '../errors.ts';
import type { SigningAlgorithm } from './algorithms.ts';
import { generateSigningKeys, importSigningKeys, type PrivateSigningJwk } from './signing-keys.ts';
import { ALGORITHMS, generateOneOfEach, withoutKid } from './signing-keys-test-support.ts';

/** Every value of a JWK that is key material (private or public), for no-leak checks. */
function materialOf(jwk: JWK): string[] {
  return (['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'n', 'x', 'y'] as const)
    .map((member) => jwk[member])
    .filter((value): value is string => typeof value === 'string' && value.length > 0);
}

/** Asserts a rejection with ERR_KEY_INVALID whose message and stack quote no key material. */
async function expectKeyInvalid(promise: Promise<unknown>, material: readonly string[]): Promise<KitError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  expect(caught, 'expected a rejection').toBeInstanceOf(KitError);
  const error = caught as KitError;
  expect(error.code).toBe('ERR_KEY_INVALID');
  expect(error.message.length).toBeGreaterThan(0);
  for (const value of material) {
    // Even a 16-character slice of a member would be a leak.
    const probe = value.slice(0, 16);
    expect(error.message).not.toContain(probe);
    expect(String(error.stack)).not.toContain(probe);
  }
  return error;
}

describe('generateSigningKeys', () => {
  let generated: Record<SigningAlgorithm, PrivateSigningJwk>;

  beforeAll(async () => {
    generated = await generateOneOfEach();
  });

  it('rejects an RSA modulus under 2048 bits with ERR_KEY_INVALID', async () => {
    // Every error of the kit is a KitError with a stable code, including this one.
    for (const modulusLength of [1024, 2047]) {
      await expectKeyInvalid(generateSigningKeys({ alg: 'RS256', modulusLength }), []);
    }
  });

  it('rejects an unsupported algorithm', async () => {
    for (const alg of ['HS256', 'none', 'ES512', 'RS512', '']) {
      await expectKeyInvalid(generateSigningKeys({ alg: alg as SigningAlgorithm }), []);
    }
  });
  describe('importSigningKeys', () => {
    describe('rejects unusable key sets with ERR_KEY_INVALID and no key material in the message', () => {
      it('a symmetric (oct) key', async () => {
        const k = Buffer.from('0123456789abcdef0123456789abcdef').toString('base64url');
        for (const alg of ['HS256', 'ES256', undefined]) {
          await expectKeyInvalid(importSigningKeys({ keys: [{ kty: 'oct', k, alg, kid: 'sym' } as never] }), [
            k,
          ]);
        }
      });

      it.each(ALGORITHMS)('%s: a key without its private member d', async (alg) => {
        const { d: _d, ...pub } = generated[alg];
        await expectKeyInvalid(importSigningKeys({ keys: [pub as PrivateSigningJwk] }), materialOf(pub));
        await expectKeyInvalid(
          importSigningKeys({ keys: [{ ...generated[alg], d: 42 } as never] }),
          materialOf(generated[alg]),
        );
      });

      it('an alg that does not fit the key type (ES256 on an Ed25519 key, and others)', async () => {
        const cases: [SigningAlgorithm, SigningAlgorithm][] = [
          ['EdDSA', 'ES256'],
          ['ES256', 'ES384'],
          ['ES384', 'ES256'],
          ['ES256', 'EdDSA'],
          ['RS256', 'ES256'],
          ['ES256', 'RS256'],
          ['EdDSA', 'PS256'],
        ];
        for (const [keyAlg, claimedAlg] of cases) {
          const key = generated[keyAlg];
          await expectKeyInvalid(importSigningKeys({ keys: [{ ...key, alg: claimedAlg }] }), materialOf(key));
        }
      });

      it('an OKP key on another curve', async () => {
        const { privateKey } = await generateKeyPair('Ed25519', { extractable: true });
        const jwk = await exportJWK(privateKey);
        // X25519 is a key-agreement curve; Ed448 is not offered.
        for (const crv of ['X25519', 'Ed448']) {
          await expectKeyInvalid(
            importSigningKeys({ keys: [{ ...jwk, crv, alg: 'EdDSA' } as never] }),
            materialOf(jwk),
          );
        }
      });

      it('an unsupported alg (HS256, none, ES512, a missing alg)', async () => {
        const key = generated.ES256;
        for (const alg of ['HS256', 'none', 'None', 'RS384', 'ES256K', '', undefined]) {
          await expectKeyInvalid(importSigningKeys({ keys: [{ ...key, alg } as never] }), materialOf(key));
        }
        const { privateKey } = await generateKeyPair('ES512', { extractable: true });
        const p521 = { ...(await exportJWK(privateKey)), alg: 'ES512', use: 'sig' };
        await expectKeyInvalid(importSigningKeys({ keys: [p521 as never] }), materialOf(p521));
        await expectKeyInvalid(importSigningKeys(JSON.stringify({ keys: [p521] })), materialOf(p521));
      });

      it('an RSA key under 2048 bits', async () => {
        for (const [alg, bits] of [
          ['RS256', 1024],
          ['PS256', 1024],
          ['RS256', 2040],
        ] as const) {
          // jose refuses to generate such keys, so make them with node:crypto.
          const { privateKey } = generateKeyPairSync('rsa', { modulusLength: bits });
          const small = { ...(privateKey.export({ format: 'jwk' }) as JWK), alg, use: 'sig' };
          expect(Buffer.from(small.n!, 'base64url').length).toBe(bits / 8);
          await expectKeyInvalid(
            importSigningKeys({ keys: [small as PrivateSigningJwk] }),
            materialOf(small),
          );
        }
      });

      it('an RSA key whose public modulus does not belong to its private members', async () => {
        // Pasting the wrong "n" (or the halves of two keys) must not yield a key set that signs
        // tokens its own JWKS cannot verify. EC and OKP keys are checked by the platform already.
        const a = generated.RS256;
        const b = (await generateSigningKeys({ alg: 'RS256' })).keys[0]!;
        const mixed: PrivateSigningJwk = { ...a, n: b.n!, kid: 'mixed' };
        await expectKeyInvalid(importSigningKeys({ keys: [mixed] }), materialOf(mixed));
      });

      it('an EC or OKP key whose public members do not belong to its private key', async () => {
        for (const alg of ['ES256', 'EdDSA'] as const) {
          const other = (await generateSigningKeys({ alg })).keys[0]!;
          const mixed = { ...generated[alg], d: other.d!, kid: 'mixed' };
          await expectKeyInvalid(importSigningKeys({ keys: [mixed] }), materialOf(mixed));
        }
      });

      it('private members that cannot be imported', async () => {
        const key = generated.ES256;
        const broken = { ...key, d: 'AAAA' };
        const error = await expectKeyInvalid(importSigningKeys({ keys: [broken] }), materialOf(key));
        expect(error.cause).toBeDefined();
      });

      it('a duplicate kid', async () => {
        const a = generated.ES256;
        const b = (await generateSigningKeys()).keys[0]!;
        const material = [...materialOf(a), ...materialOf(b)];
        await expectKeyInvalid(importSigningKeys({ keys: [a, { ...b, kid: a.kid }] }), material);
        // The same key twice without kids: both get the same thumbprint.
        await expectKeyInvalid(
          importSigningKeys({ keys: [withoutKid(a), withoutKid(a)] as PrivateSigningJwk[] }),
          material,
        );
        // A kid given explicitly that equals another key's thumbprint.
        await expectKeyInvalid(
          importSigningKeys({ keys: [{ ...b, kid: a.kid }, withoutKid(a)] as PrivateSigningJwk[] }),
          material,
        );
      });

      it('an empty or missing key list', async () => {
        for (const input of [
          { keys: [] },
          {},
          { keys: {} },
          { keys: 'x' },
          '{"keys":[]}',
          '{}',
          '[]',
          'null',
          '42',
          '""',
          null,
          undefined,
        ]) {
          await expectKeyInvalid(importSigningKeys(input as never), []);
        }
      });

      it('entries that are not JWK objects', async () => {
        for (const entry of [null, 'key', 42, [generated.ES256]]) {
          await expectKeyInvalid(importSigningKeys({ keys: [entry] } as never), materialOf(generated.ES256));
        }
      });

      it('invalid JSON, without quoting it', async () => {
        const key = generated.RS256;
        const text = JSON.stringify({ keys: [key] });
        for (const input of [text.slice(0, -1), `${text},`, text.replace('{', "{'"), '', '{keys:[]}']) {
          await expectKeyInvalid(importSigningKeys(input), materialOf(key));
        }
      });

      it('use other than "sig"', async () => {
        const key = generated.ES256;
        for (const use of ['enc', 'SIG', '', 42]) {
          await expectKeyInvalid(importSigningKeys({ keys: [{ ...key, use } as never] }), materialOf(key));
        }
      });

      it('key_ops without "sign"', async () => {
        const key = generated.EdDSA;
        for (const keyOps of [['verify'], ['encrypt', 'decrypt'], [], 'sign', ['Sign']]) {
          await expectKeyInvalid(
            importSigningKeys({ keys: [{ ...key, key_ops: keyOps } as never] }),
            materialOf(key),
          );
        }
        // With "sign" among them the key is accepted.
        const set = await importSigningKeys({ keys: [{ ...key, key_ops: ['sign', 'verify'] }] });
        expect(set.current.kid).toBe(key.kid);
      });

      it('a kid that is not 1-128 printable ASCII characters', async () => {
        const key = generated.ES256;
        for (const kid of ['', 'a'.repeat(129), 'with space', 'tab\t', 'é', 42]) {
          await expectKeyInvalid(importSigningKeys({ keys: [{ ...key, kid } as never] }), materialOf(key));
        }
        await expect(importSigningKeys({ keys: [{ ...key, kid: 'a'.repeat(128) }] })).resolves.toBeDefined();
      });

      it('names the offending key by position', async () => {
        const error = await expectKeyInvalid(
          importSigningKeys({ keys: [generated.ES256, { ...generated.ES384, use: 'enc' } as never] }),
          [...materialOf(generated.ES256), ...materialOf(generated.ES384)],
        );
        expect(error.message).toContain('#2');
      });
    });
  });
});
