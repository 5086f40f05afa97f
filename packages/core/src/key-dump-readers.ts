import { constants, createPrivateKey, type KeyObject, sign as nodeSign, randomUUID } from 'node:crypto';
import pg from 'pg';
import type { PublicJwk, SigningAlgorithm } from './index.ts';

/**
 * Reading a database dump as private-key material, for `key-dump.test.ts`: every form a signing
 * key could take in a cell (JWK, PEM, DER, raw scalar or seed, hex or base64 of any of them), and
 * a token forged with each key found.
 */

export const ISSUER = 'https://auth.test';
export const AUDIENCE = 'https://api.test';

/** Signing algorithms a private key of this type could produce signatures for. */
export function algorithmsFor(key: KeyObject): SigningAlgorithm[] {
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
export function forgeToken(key: KeyObject, jwk: PublicJwk, nowMs: number): string {
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
export function readAsKeyMaterial(bytes: Buffer): Findings {
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
export function byteFormsOf(value: unknown): Buffer[] {
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

export interface DumpedTable {
  name: string;
  rows: Record<string, unknown>[];
}

/** Every row of every table in every schema of the database, as the `pg` driver returns them. */
export async function dumpDatabase(url: string): Promise<DumpedTable[]> {
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
