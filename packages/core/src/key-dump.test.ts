import {
  constants,
  createPrivateKey,
  type KeyObject,
  sign as nodeSign,
  randomBytes,
  randomUUID,
} from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKitFixture, type KitFixture, TEST_SECRET } from '../test/fixture.ts';
import { hkdf } from './crypto/primitives.ts';
import type { AuthKit, AuthKitOptions, PublicJwk, SigningAlgorithm } from './index.ts';
import { createKeyWrapper, keyAad } from './keys/key-wrap.ts';
import { createMikroOrmKeyStore, createMikroOrmRateLimitStore } from './mikro-orm/index.ts';
import { type AccessTokenVerifier, createVerifier } from './verify/node.ts';

/**
 * The contract for the database key store: private signing keys are encrypted at rest under a key
 * derived from KIT_SECRET, so a full copy of the database yields no key that can sign. This test
 * fills every kit table (several keys of several algorithms after rotations, sessions, a rate-limit
 * counter), dumps every table cell by cell, and reads every value, and every hex or base64
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

const ISSUER = 'https://auth.test';
const AUDIENCE = 'https://api.test';

/** Signing algorithms a private key of this type could produce signatures for. */
function algorithmsFor(key: KeyObject): SigningAlgorithm[] {
  switch (key.asymmetricKeyType) {
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      return curve === 'prime256v1' ? ['ES256'] : curve === 'secp384r1' ? ['ES384'] : [];
    }
    case 'ed25519':
      return ['EdDSA'];
    case 'rsa':
      return ['RS256', 'PS256'];
    case 'rsa-pss':
      return ['PS256'];
    default:
      return [];
  }
}

function signWith(key: KeyObject, alg: SigningAlgorithm, input: Buffer): Buffer {
  switch (alg) {
    case 'ES256':
      return nodeSign('sha256', input, { key, dsaEncoding: 'ieee-p1363' });
    case 'ES384':
      return nodeSign('sha384', input, { key, dsaEncoding: 'ieee-p1363' });
    case 'EdDSA':
      return nodeSign(null, input, key);
    case 'RS256':
      return nodeSign('sha256', input, key);
    case 'PS256':
      return nodeSign('sha256', input, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
  }
}

const b64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

/** An access token for `jwk.kid`, signed with `key`: what an attacker holding `key` would mint. */
function forgeToken(key: KeyObject, jwk: PublicJwk, nowMs: number): string {
  const now = Math.floor(nowMs / 1000);
  const header = b64url(JSON.stringify({ alg: jwk.alg, kid: jwk.kid, typ: 'at+jwt' }));
  const payload = b64url(
    JSON.stringify({
      iss: ISSUER,
      aud: AUDIENCE,
      sub: 'attacker',
      client_id: 'default',
      iat: now,
      exp: now + 300,
      jti: randomUUID(),
      sid: randomUUID(),
    }),
  );
  const signature = signWith(key, jwk.alg, Buffer.from(`${header}.${payload}`));
  return `${header}.${payload}.${signature.toString('base64url')}`;
}

/** What reading one byte string as key material found. */
interface Findings {
  /** Private JWKs and PEM blocks that parsed (whether or not they imported). */
  parsed: string[];
  /** Every private key obtained, from any form. */
  keys: { how: string; key: KeyObject }[];
}

/** Every JSON object that parses from a substring of `text` starting at `{` and ending at `}`. */
function jsonObjectsIn(text: string): unknown[] {
  const opens: number[] = [];
  const closes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '{') opens.push(i);
    else if (text[i] === '}') closes.push(i);
  }
  const found: unknown[] = [];
  for (const start of opens) {
    for (const end of closes) {
      if (end <= start) continue;
      try {
        const value = JSON.parse(text.slice(start, end + 1));
        if (typeof value === 'object' && value !== null) found.push(value);
      } catch {
        // not JSON
      }
    }
  }
  return found;
}

/** Objects with a private member, at any depth (a JWK, or the keys of a JWKS). */
function privateJwksIn(value: unknown, out: Record<string, unknown>[] = []): Record<string, unknown>[] {
  if (Array.isArray(value)) for (const item of value) privateJwksIn(item, out);
  else if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    if (['d', 'p', 'q'].some((member) => typeof record[member] === 'string')) out.push(record);
    for (const item of Object.values(record)) privateJwksIn(item, out);
  }
  return out;
}

const PEM_BLOCK = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY-----/g;

/** DER structures (SEQUENCE with a definite length) starting at any offset, as private keys. */
function derKeysIn(bytes: Buffer): { how: string; key: KeyObject }[] {
  const keys: { how: string; key: KeyObject }[] = [];
  for (let i = 0; i + 2 < bytes.length; i++) {
    if (bytes[i] !== 0x30) continue;
    const first = bytes[i + 1]!;
    let length: number;
    let header: number;
    if (first < 0x80) [length, header] = [first, 2];
    else if (first === 0x81) [length, header] = [bytes[i + 2] ?? 0, 3];
    else if (first === 0x82) [length, header] = [((bytes[i + 2] ?? 0) << 8) | (bytes[i + 3] ?? 0), 4];
    else continue;
    if (length < 30 || i + header + length > bytes.length) continue;
    const der = bytes.subarray(i, i + header + length);
    for (const type of ['pkcs8', 'pkcs1', 'sec1'] as const) {
      try {
        keys.push({ how: `der ${type}`, key: createPrivateKey({ key: der, format: 'der', type }) });
      } catch {
        // not this structure
      }
    }
  }
  return keys;
}

const P256_SEC1 = [Buffer.from('30310201010420', 'hex'), Buffer.from('a00a06082a8648ce3d030107', 'hex')];
const P384_SEC1 = [Buffer.from('303e0201010430', 'hex'), Buffer.from('a00706052b81040022', 'hex')];
const ED25519_PKCS8 = Buffer.from('302e020100300506032b657004220420', 'hex');

/** A value of exactly 32 or 48 bytes as a raw private scalar (P-256, P-384) or seed (Ed25519). */
function rawKeysOf(bytes: Buffer): { how: string; key: KeyObject }[] {
  const candidates: [string, Buffer, 'sec1' | 'pkcs8'][] = [];
  if (bytes.length === 32) {
    candidates.push(['raw P-256 scalar', Buffer.concat([P256_SEC1[0]!, bytes, P256_SEC1[1]!]), 'sec1']);
    candidates.push(['raw Ed25519 seed', Buffer.concat([ED25519_PKCS8, bytes]), 'pkcs8']);
  }
  if (bytes.length === 48) {
    candidates.push(['raw P-384 scalar', Buffer.concat([P384_SEC1[0]!, bytes, P384_SEC1[1]!]), 'sec1']);
  }
  const keys: { how: string; key: KeyObject }[] = [];
  for (const [how, der, type] of candidates) {
    try {
      keys.push({ how, key: createPrivateKey({ key: der, format: 'der', type }) });
    } catch {
      // zero or above the group order: no key
    }
  }
  return keys;
}

/** Reads one byte string as private-key material in every form listed at the top. */
function readAsKeyMaterial(bytes: Buffer): Findings {
  const findings: Findings = { parsed: [], keys: [] };
  const text = bytes.toString('latin1'); // one character per byte: ASCII JSON and PEM survive
  for (const jwk of privateJwksIn(jsonObjectsIn(text))) {
    findings.parsed.push('private JWK');
    try {
      findings.keys.push({ how: 'jwk', key: createPrivateKey({ key: jwk as never, format: 'jwk' }) });
    } catch {
      // parsed, but not importable
    }
  }
  for (const pem of text.match(PEM_BLOCK) ?? []) {
    findings.parsed.push('PEM private key');
    try {
      findings.keys.push({ how: 'pem', key: createPrivateKey(pem) });
    } catch {
      // parsed, but not importable
    }
  }
  findings.keys.push(...derKeysIn(bytes), ...rawKeysOf(bytes));
  return findings;
}

const HEX = /^(?:[0-9a-f]{2})+$/i;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/**
 * The byte strings one dumped cell stands for: a binary value itself; a text value's UTF-8 and,
 * when it looks like one, its hex or base64(url) decoding; for JSON, every string inside it too.
 */
function byteFormsOf(value: unknown): Buffer[] {
  if (value === null || value === undefined) return [];
  if (Buffer.isBuffer(value)) return [value];
  const forms: Buffer[] = [];
  const addText = (text: string) => {
    forms.push(Buffer.from(text, 'utf8'));
    if (HEX.test(text)) forms.push(Buffer.from(text, 'hex'));
    if (text.length >= 16 && BASE64.test(text)) forms.push(Buffer.from(text, 'base64'));
  };
  if (value instanceof Date) addText(value.toISOString());
  else if (typeof value === 'object') {
    addText(JSON.stringify(value));
    const walk = (item: unknown) => {
      if (typeof item === 'string') addText(item);
      else if (typeof item === 'number') addText(String(item));
      else if (Array.isArray(item)) item.forEach(walk);
      else if (typeof item === 'object' && item !== null) Object.values(item).forEach(walk);
    };
    walk(value);
  } else addText(String(value));
  return forms;
}

interface DumpedTable {
  name: string;
  rows: Record<string, unknown>[];
}

/** Every row of every table in every schema of the database, as the `pg` driver returns them. */
async function dumpDatabase(url: string): Promise<DumpedTable[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const tables = await client.query<{ schema: string; name: string }>(
      `select table_schema as schema, table_name as name from information_schema.tables
       where table_schema not in ('pg_catalog', 'information_schema') and table_type = 'BASE TABLE'`,
    );
    const dump: DumpedTable[] = [];
    for (const { schema, name } of tables.rows) {
      dump.push({ name, rows: (await client.query(`select * from "${schema}"."${name}"`)).rows });
    }
    return dump;
  } finally {
    await client.end();
  }
}

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

    // Sessions and a rate-limit counter, so every kit table has rows.
    const login = await kit.createSession({ userId: 'victim', userAgent: 'browser', data: { note: 'x' } });
    await kit.refresh(login.refreshToken);
    await createMikroOrmRateLimitStore({ orm: f.orm }).hit('login:203.0.113.7', {
      windowMs: 60_000,
      now: f.clock.now(),
    });
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
      expect.arrayContaining(['kit_migrations', 'kit_sessions', 'kit_signing_keys', 'kit_rate_limits']),
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
