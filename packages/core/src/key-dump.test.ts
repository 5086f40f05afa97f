import { createPrivateKey, type KeyObject, randomBytes } from 'node:crypto';
import { TEST_SECRET } from '@kit/test-support';
import { DPOP_METHOD, DPOP_URL, generateDpopKey, makeProof } from '@kit/test-support/dpop';
import { createKitFixture, type KitFixture } from '@kit/test-support/kit-fixture';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hkdf } from './crypto/primitives.ts';
import { type AuthKit, type AuthKitOptions, createDpopProofVerifier } from './index.ts';
import {
  AUDIENCE,
  algorithmsFor,
  byteFormsOf,
  type DumpedTable,
  dumpDatabase,
  forgeToken,
  ISSUER,
  readAsKeyMaterial,
} from './key-dump-readers.ts';
import { createKeyWrapper, keyAad } from './keys/key-wrap.ts';
import {
  createMikroOrmDpopReplayCache,
  createMikroOrmKeyStore,
  createMikroOrmRateLimitStore,
} from './mikro-orm/index.ts';
import { type AccessTokenVerifier, createVerifier } from './verify/node.ts';

/**
 * The contract for the database key store: private signing keys are encrypted at rest under a key
 * derived from KIT_SECRET, so a full copy of the database yields no key that can sign. This test
 * fills every kit table (several keys of several algorithms after rotations, sessions, a rate-limit
 * counter, a DPoP proof seen), dumps every table cell by cell, and reads every value, and every hex or base64
 * decoding of one, as a private key in each form the kit's algorithms use:
 *
 * - a private JWK (any JSON object with `d`, anywhere inside the value),
 * - a PEM private key block,
 * - DER (PKCS#8, PKCS#1, SEC1) starting anywhere inside the value,
 * - a raw private scalar or seed (values of exactly 32 or 48 bytes: P-256, Ed25519, P-384).
 *
 * Every key so obtained signs an access token for every published key of its type, and the kit's
 * JWKS must verify none of them. Every value is also tried as KIT_SECRET and as a raw AES key
 * against every stored ciphertext. Positive controls show each detector finds a key put in the
 * dump in its form, and that with KIT_SECRET every row decrypts to a key whose token verifies.
 */

describe('a database dump holds no usable signing key', () => {
  let f: KitFixture;
  const kits: AuthKit[] = [];
  let kit: AuthKit;
  let verify: AccessTokenVerifier;
  let dump: DumpedTable[];

  const storeKit = async (more: Partial<AuthKitOptions> = {}) => {
    const made = await f.makeKit({
      signingKeys: undefined,
      keyStore: createMikroOrmKeyStore({ orm: f.orm }),
      ...more,
    });
    kits.push(made);
    return made;
  };

  /** Which published keys `key` signs a token for that the kit's JWKS verifies. */
  async function kidsSignedBy(key: KeyObject): Promise<string[]> {
    const algorithms = algorithmsFor(key);
    const kids: string[] = [];
    for (const jwk of kit.jwks().keys) {
      if (!algorithms.includes(jwk.alg)) continue;
      const accepted = await verify(forgeToken(key, jwk, f.clock.now())).then(
        () => true,
        () => false,
      );
      if (accepted) kids.push(jwk.kid);
    }
    return kids;
  }

  beforeAll(async () => {
    f = await createKitFixture();
    // The first key and a rotation, then rotations by instances configured for other algorithms:
    // five keys, all published (none has retired yet on the frozen clock).
    const first = await storeKit();
    await first.keys.rotate();
    for (const algorithm of ['EdDSA', 'ES384', 'RS256'] as const) {
      await (await storeKit({ keyRotation: { algorithm } })).keys.rotate();
    }
    kit = await storeKit();
    verify = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: kit.jwks(), clock: f.clock.now });

    // Sessions, a rate-limit counter and a DPoP proof seen, so every kit table has rows.
    const login = await kit.createSession({ userId: 'victim', userAgent: 'browser', data: { note: 'x' } });
    await kit.refresh(login.refreshToken);
    await createMikroOrmRateLimitStore({ orm: f.orm }).hit('login:203.0.113.7', {
      windowMs: 60_000,
      now: f.clock.now(),
    });
    const dpop = createDpopProofVerifier({
      replayCache: createMikroOrmDpopReplayCache({ orm: f.orm, purgeInterval: 0 }),
      clock: f.clock.now,
    });
    const proof = makeProof(generateDpopKey('ES256'), { claims: { iat: Math.floor(f.clock.now() / 1000) } });
    await dpop.verify({ proof, method: DPOP_METHOD, url: DPOP_URL });
    // The kit's own tokens verify with the verifier used below: a rejection means something.
    await expect(verify(login.accessToken)).resolves.toMatchObject({ sub: 'victim' });

    dump = await dumpDatabase(f.db.url);
  });

  afterAll(async () => {
    for (const made of kits) await made.close();
    await f.close();
  });

  const keyRows = () => dump.find((t) => t.name === 'kit_signing_keys')!.rows;

  it('dumps every table, with several keys of several algorithms', () => {
    const names = dump.map((t) => t.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'kit_migrations',
        'kit_sessions',
        'kit_signing_keys',
        'kit_rate_limits',
        'kit_dpop_replays',
      ]),
    );
    expect(names.every((name) => name.startsWith('kit_'))).toBe(true);
    for (const table of dump) expect(table.rows.length, table.name).toBeGreaterThan(0);
    const rows = keyRows();
    expect(rows).toHaveLength(5);
    expect(new Set(rows.map((r) => r.alg))).toEqual(new Set(['ES256', 'EdDSA', 'ES384', 'RS256']));
    expect(
      kit
        .jwks()
        .keys.map((k) => k.kid)
        .sort(),
    ).toEqual(rows.map((r) => r.kid as string).sort());
  });

  it('no value, or decoding of one, is a private key that signs for the JWKS', async () => {
    const seen = new Set<string>();
    const parsed: string[] = [];
    let keysTried = 0;
    let tokensSigned = 0;
    const usable: string[] = [];
    for (const table of dump) {
      for (const row of table.rows) {
        for (const [column, value] of Object.entries(row)) {
          for (const bytes of byteFormsOf(value)) {
            const id = bytes.toString('hex');
            if (seen.has(id)) continue;
            seen.add(id);
            const findings = readAsKeyMaterial(bytes);
            parsed.push(...findings.parsed.map((what) => `${table.name}.${column}: ${what}`));
            for (const { how, key } of findings.keys) {
              keysTried++;
              tokensSigned += kit.jwks().keys.filter((k) => algorithmsFor(key).includes(k.alg)).length;
              for (const kid of await kidsSignedBy(key))
                usable.push(`${table.name}.${column} (${how}): ${kid}`);
            }
          }
        }
      }
    }
    expect(parsed).toEqual([]);
    expect(usable).toEqual([]);
    // The search did real work: many candidate keys, each signing for every key of its type.
    expect(seen.size).toBeGreaterThan(50);
    expect(keysTried).toBeGreaterThan(20);
    expect(tokensSigned).toBeGreaterThan(keysTried);
  });

  it('no value, used as KIT_SECRET or as the AES key itself, decrypts a stored key', async () => {
    const rows = keyRows();
    const secretBytes = Buffer.from(TEST_SECRET, 'utf8');
    const wrapKey = Buffer.from(await hkdf(secretBytes, 'kit signing-key wrap v1'));
    const values = new Map<string, Buffer>();
    for (const table of dump)
      for (const row of table.rows)
        for (const value of Object.values(row))
          for (const bytes of byteFormsOf(value)) values.set(bytes.toString('hex'), bytes);

    // Neither the secret nor the key derived from it is stored, in any encoding.
    for (const bytes of values.values()) {
      for (const needle of [secretBytes, wrapKey]) {
        expect(bytes.includes(needle)).toBe(false);
        expect(bytes.includes(Buffer.from(needle.toString('base64url')))).toBe(false);
        expect(bytes.includes(Buffer.from(needle.toString('hex')))).toBe(false);
      }
    }

    let attempts = 0;
    for (const candidate of values.values()) {
      const wrapper = await createKeyWrapper(candidate);
      const aesKey =
        candidate.length === 32
          ? await crypto.subtle.importKey('raw', candidate as BufferSource, 'AES-GCM', false, ['decrypt'])
          : undefined;
      for (const row of rows) {
        // The stored key-check id names no dumped value as the secret.
        expect(wrapper.id).not.toBe(row.secret_id);
        const sealed = row.encrypted_key as Buffer;
        const aad = keyAad(row.kid as string, row.alg as string);
        await expect(wrapper.decrypt(sealed, aad)).rejects.toThrow();
        attempts++;
        if (aesKey) {
          await expect(
            crypto.subtle.decrypt(
              {
                name: 'AES-GCM',
                iv: sealed.subarray(0, 12) as BufferSource,
                additionalData: aad as BufferSource,
              },
              aesKey,
              sealed.subarray(12) as BufferSource,
            ),
          ).rejects.toThrow();
          attempts++;
        }
      }
    }
    expect(attempts).toBeGreaterThan(values.size * rows.length);
  });

  it('positive control: with KIT_SECRET every stored key decrypts and signs for the JWKS', async () => {
    const wrapper = await createKeyWrapper(Buffer.from(TEST_SECRET, 'utf8'));
    const signedFor: string[] = [];
    for (const row of keyRows()) {
      expect(row.secret_id).toBe(wrapper.id);
      const plaintext = Buffer.from(
        await wrapper.decrypt(row.encrypted_key as Buffer, keyAad(row.kid as string, row.alg as string)),
      );
      // The same reader as above finds it, and its token verifies.
      const findings = readAsKeyMaterial(plaintext);
      expect(findings.parsed).toEqual(['private JWK']);
      for (const { key } of findings.keys) signedFor.push(...(await kidsSignedBy(key)));
    }
    expect(signedFor.sort()).toEqual(
      kit
        .jwks()
        .keys.map((k) => k.kid)
        .sort(),
    );
  });

  it('positive control: each form a key could take in the dump is found and signs', async () => {
    const wrapper = await createKeyWrapper(Buffer.from(TEST_SECRET, 'utf8'));
    const byAlg = new Map<string, { kid: string; jwk: Record<string, unknown> }>();
    for (const row of keyRows()) {
      const plaintext = await wrapper.decrypt(
        row.encrypted_key as Buffer,
        keyAad(row.kid as string, row.alg as string),
      );
      byAlg.set(row.alg as string, {
        kid: row.kid as string,
        jwk: JSON.parse(Buffer.from(plaintext).toString('utf8')),
      });
    }
    const es256 = byAlg.get('ES256')!;
    const ed25519 = byAlg.get('EdDSA')!;
    const es384 = byAlg.get('ES384')!;
    const rsa = byAlg.get('RS256')!;
    const keyOf = (entry: { jwk: Record<string, unknown> }) =>
      createPrivateKey({ key: entry.jwk as never, format: 'jwk' });
    const noise = (n: number) => randomBytes(n);
    const pkcs8 = (entry: { jwk: Record<string, unknown> }) =>
      keyOf(entry).export({ format: 'der', type: 'pkcs8' }) as Buffer;

    // A cell value that holds the key in one form, and the kid its key signs for.
    const planted: [string, unknown, string][] = [
      [
        'JSON JWK between a nonce and a tag',
        Buffer.concat([noise(12), Buffer.from(JSON.stringify(rsa.jwk)), noise(16)]),
        rsa.kid,
      ],
      ['jsonb JWKS', { keys: [es384.jwk] }, es384.kid],
      ['PEM text', keyOf(ed25519).export({ format: 'pem', type: 'pkcs8' }), ed25519.kid],
      ['PKCS#8 DER inside other bytes', Buffer.concat([noise(7), pkcs8(es256), noise(9)]), es256.kid],
      [
        'PKCS#1 DER as base64',
        keyOf(rsa).export({ format: 'der', type: 'pkcs1' }).toString('base64'),
        rsa.kid,
      ],
      ['SEC1 DER as hex', keyOf(es384).export({ format: 'der', type: 'sec1' }).toString('hex'), es384.kid],
      ['raw P-256 scalar as hex', Buffer.from(es256.jwk.d as string, 'base64url').toString('hex'), es256.kid],
      ['raw Ed25519 seed as bytes', Buffer.from(ed25519.jwk.d as string, 'base64url'), ed25519.kid],
      ['raw P-384 scalar as base64url', es384.jwk.d, es384.kid],
    ];
    for (const [form, value, kid] of planted) {
      const signed: string[] = [];
      for (const bytes of byteFormsOf(value)) {
        for (const { key } of readAsKeyMaterial(bytes).keys) signed.push(...(await kidsSignedBy(key)));
      }
      expect(signed, form).toContain(kid);
    }
  });
});
