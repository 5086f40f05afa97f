import { createHmac, KeyObject, sign as nodeSign } from 'node:crypto';
import {
  AUDIENCE,
  createTestKey,
  defaultClaims,
  ISSUER,
  localVerifierOptions,
  T0,
  type TestKey,
} from '@kit/test-support/verifier';
import fc from 'fast-check';
import { createLocalJWKSet, type JWK, jwtVerify } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import type { VerifierAlgorithm } from './algorithms.ts';
import { type AccessTokenVerifier, createVerifier as createWebVerifier } from './index.ts';
import { createVerifier as createNodeVerifier } from './node.ts';

/**
 * Differential tests: the Web Crypto path, the node:crypto path and jose (the reference) must
 * accept and reject exactly the same tokens, for valid tokens and for every malformed or hostile
 * variation fast-check can generate from them.
 *
 * The reference is jose's `jwtVerify` configured with the kit's profile (algorithms, `typ`
 * at+jwt, issuer, audience, 5 s tolerance, required claims) plus the rules of the profile jose
 * has no option for, each stricter than jose by design:
 * - every segment is canonical unpadded base64url (jose's decoder also takes padding, whitespace
 *   and non-zero trailing bits, so one token would have several accepted spellings);
 * - the header names its key (`kid`, a non-empty string), has no `crit` at all, and no `b64`
 *   other than `true` (jose ignores `b64: false` without `crit`; the kit refuses the ambiguity);
 * - `sub`, `jti`, `sid` and `client_id` are non-empty strings, `iat` is not in the future, an
 *   `aud` array holds strings only (RFC 7519 §4.1.3; jose accepts `[audience, 1]`);
 * - at most 8 KiB.
 */

const ALGS: VerifierAlgorithm[] = ['ES256', 'EdDSA', 'RS256', 'ES384', 'PS256'];
const NOW_S = T0 / 1000;
const RUNS = Number(process.env.DIFFERENTIAL_RUNS ?? 400);

let keys: TestKey[];
let nodeKeys: Map<string, KeyObject>;
let web: AccessTokenVerifier;
let node: AccessTokenVerifier;
let jwks: { keys: JWK[] };

beforeAll(async () => {
  keys = await Promise.all(ALGS.map((alg) => createTestKey(alg)));
  nodeKeys = new Map(keys.map((k) => [k.kid, KeyObject.from(k.privateKey)]));
  jwks = { keys: keys.map((k) => k.jwk) };
  const options = localVerifierOptions(keys);
  web = createWebVerifier(options);
  node = createNodeVerifier(options);
});

const b64 = (value: string | Uint8Array) => Buffer.from(value).toString('base64url');
const json = (value: unknown) => b64(JSON.stringify(value));

/** A JWS signature over `input` as `alg` with the private key of `kid` (the real key's type decides). */
function signWith(kid: string, alg: string, input: string): string {
  const key = nodeKeys.get(kid)!;
  const data = Buffer.from(input);
  switch (alg) {
    case 'ES256':
      return b64(nodeSign('sha256', data, { key, dsaEncoding: 'ieee-p1363' }));
    case 'ES384':
      return b64(nodeSign('sha384', data, { key, dsaEncoding: 'ieee-p1363' }));
    case 'EdDSA':
      return b64(nodeSign(null, data, key));
    case 'RS256':
      return b64(nodeSign('sha256', data, key));
    case 'PS256':
      return b64(nodeSign('sha256', data, { key, padding: 6, saltLength: 32 }));
    default:
      return '';
  }
}

/** The claims of a valid token issued 10 s before now: `iat` NOW_S - 10, `exp` NOW_S + 290. */
const validClaims = () => defaultClaims(T0 - 10_000);

function mintToken(key: TestKey, header: Record<string, unknown> = {}, claims: Record<string, unknown> = {}) {
  const h = json({ alg: key.alg, kid: key.kid, typ: 'at+jwt', ...header });
  const p = json({ ...validClaims(), ...claims });
  return `${h}.${p}.${signWith(key.kid, key.alg, `${h}.${p}`)}`;
}

const CANONICAL = /^[A-Za-z0-9_-]*$/;
function canonical(segment: string): boolean {
  if (!CANONICAL.test(segment) || segment.length % 4 === 1) return false;
  return b64(Buffer.from(segment, 'base64url')) === segment;
}

async function reference(token: string): Promise<boolean> {
  if (token.length > 8192) return false;
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every(canonical)) return false;
  try {
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks as never), {
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ALGS,
      typ: 'at+jwt',
      clockTolerance: 5,
      currentDate: new Date(T0),
      requiredClaims: ['iss', 'aud', 'exp', 'iat', 'sub', 'jti', 'sid', 'client_id'],
    });
    if (typeof protectedHeader.kid !== 'string' || protectedHeader.kid === '') return false;
    if (protectedHeader.crit !== undefined) return false;
    if (protectedHeader.b64 !== undefined && protectedHeader.b64 !== true) return false;
    for (const claim of ['sub', 'jti', 'sid', 'client_id']) {
      if (typeof payload[claim] !== 'string' || payload[claim] === '') return false;
    }
    if (typeof payload.iat !== 'number' || payload.iat > NOW_S + 5) return false;
    if (Array.isArray(payload.aud) && payload.aud.some((a) => typeof a !== 'string')) return false;
    return true;
  } catch {
    return false;
  }
}

/** Runs all three; the two kit paths must also agree on the error code. */
async function outcomes(token: string) {
  const run = (verify: AccessTokenVerifier) =>
    verify(token).then(
      () => 'ok',
      (error: { code?: string }) => error.code ?? 'thrown',
    );
  const [w, n, r] = await Promise.all([run(web), run(node), reference(token)]);
  return { web: w, node: n, reference: r };
}

async function expectSame(token: string): Promise<void> {
  const o = await outcomes(token);
  expect(o.node, `node vs web for ${token}`).toBe(o.web);
  expect(o.web === 'ok', `kit vs jose for ${token} (${o.web})`).toBe(o.reference);
}

// ---------------------------------------------------------------------------------------------
// Generators

const keyArb = fc.nat({ max: ALGS.length - 1 }).map((i) => () => keys[i]!);
const weird = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.constant(''),
  fc.integer(),
  fc.string({ maxLength: 12 }),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 2 }),
  fc.constant({}),
);
const headerArb = fc.record(
  {
    alg: fc.oneof(
      fc.constantFrom(...ALGS, 'none', 'None', 'HS256', 'HS512', 'es256', 'RS512', '__proto__', 'toString'),
      weird,
    ),
    kid: fc.oneof(
      fc.constantFrom(
        'es256-key',
        'eddsa-key',
        'rs256-key',
        'es384-key',
        'ps256-key',
        'unknown',
        '../../dev/null',
        "x' or '1'='1",
      ),
      weird,
    ),
    typ: fc.oneof(fc.constantFrom('at+jwt', 'AT+JWT', 'application/at+jwt', 'JWT', 'jwt', 'at+jwt+x'), weird),
    crit: fc.oneof(fc.constant(undefined), fc.constant([]), fc.constant(['exp']), fc.constant(['b64'])),
    b64: fc.constantFrom(undefined, true, false),
    jku: fc.constantFrom(undefined, 'https://evil.example/jwks.json'),
    x5u: fc.constantFrom(undefined, 'https://evil.example/cert.pem'),
    jwk: fc.constantFrom(undefined, { kty: 'oct', k: 'c2VjcmV0' }),
    cty: fc.constantFrom(undefined, 'JWT'),
  },
  { requiredKeys: [] },
);
const claimArb = fc.record(
  {
    iss: fc.oneof(fc.constantFrom(ISSUER, `${ISSUER}/`, 'https://evil.example'), weird),
    aud: fc.oneof(
      fc.constantFrom(AUDIENCE, 'other', [AUDIENCE], ['other', AUDIENCE], [], [AUDIENCE, 1]),
      weird,
    ),
    exp: fc.oneof(
      fc.integer({ min: NOW_S - 20, max: NOW_S + 20 }),
      weird,
      fc.constant(Number.MAX_VALUE),
      fc.double(),
    ),
    nbf: fc.oneof(fc.integer({ min: NOW_S - 20, max: NOW_S + 20 }), weird),
    iat: fc.oneof(fc.integer({ min: NOW_S - 20, max: NOW_S + 20 }), weird),
    sub: fc.oneof(fc.constant('user-1'), weird),
    sid: fc.oneof(fc.constant('s-1'), weird),
    jti: fc.oneof(fc.constant('j-1'), weird),
    client_id: fc.oneof(fc.constant('web'), weird),
  },
  { requiredKeys: [] },
);

/** Mutations of a token string: truncation, bit flips, re-encodings, segment games. */
const mutationArb = fc.oneof(
  fc.record({ kind: fc.constant('truncate'), at: fc.nat() }),
  fc.record({ kind: fc.constant('flip'), at: fc.nat(), bit: fc.nat({ max: 5 }) }),
  fc.record({
    kind: fc.constant('insert'),
    at: fc.nat(),
    char: fc.constantFrom('=', ' ', '.', 'A', '+', '/', '\n', 'é', '\u0141', '\uff2d'),
  }),
  fc.record({ kind: fc.constant('delete'), at: fc.nat() }),
  fc.constantFrom(
    { kind: 'pad' },
    { kind: 'std-base64' },
    { kind: 'swap' },
    { kind: 'extra-segment' },
    { kind: 'drop-signature' },
    { kind: 'trailing-bits' },
    { kind: 'hs256-public-key' },
    { kind: 'der-signature' },
    { kind: 'nested' },
    { kind: 'reencode-header' },
    { kind: 'none' },
  ),
);

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function mutate(
  token: string,
  m: { kind: string; at?: number; bit?: number; char?: string },
  key: TestKey,
): string {
  const [h, p, s] = token.split('.') as [string, string, string];
  const at = (m.at ?? 0) % Math.max(token.length, 1);
  switch (m.kind) {
    case 'truncate':
      return token.slice(0, at);
    case 'flip': {
      const c = token[at]!;
      const i = ALPHABET.indexOf(c);
      if (i < 0) return token;
      return token.slice(0, at) + ALPHABET[i ^ (1 << (m.bit ?? 0))] + token.slice(at + 1);
    }
    case 'insert':
      return token.slice(0, at) + m.char + token.slice(at);
    case 'delete':
      return token.slice(0, at) + token.slice(at + 1);
    case 'pad':
      return `${h}.${p}.${s}${'='.repeat((4 - (s.length % 4)) % 4 || 2)}`;
    case 'std-base64':
      return token.replaceAll('-', '+').replaceAll('_', '/');
    case 'swap':
      return `${p}.${h}.${s}`;
    case 'extra-segment':
      return `${token}.${s}`;
    case 'drop-signature':
      return `${h}.${p}.`;
    case 'trailing-bits': {
      // Same bytes, another spelling: a last character with non-zero unused bits.
      const last = ALPHABET.indexOf(s.at(-1)!);
      const rest = s.length % 4;
      if (rest === 0) return token;
      return `${h}.${p}.${s.slice(0, -1)}${ALPHABET[last | (rest === 2 ? 1 : 1)]}`;
    }
    case 'hs256-public-key': {
      // Algorithm confusion: HMAC keyed with the public key, as a naive verifier would check it.
      const header = json({ alg: 'HS256', kid: key.kid, typ: 'at+jwt' });
      const secret = JSON.stringify(key.jwk);
      return `${header}.${p}.${b64(createHmac('sha256', secret).update(`${header}.${p}`).digest())}`;
    }
    case 'der-signature': {
      if (!key.alg.startsWith('ES')) return token;
      const der = nodeSign(
        key.alg === 'ES256' ? 'sha256' : 'sha384',
        Buffer.from(`${h}.${p}`),
        nodeKeys.get(key.kid)!,
      );
      return `${h}.${p}.${b64(der)}`;
    }
    case 'nested': {
      // A JWT whose payload is another JWT (JWS nesting): the payload is not a claims object.
      const header = json({ alg: key.alg, kid: key.kid, typ: 'at+jwt', cty: 'JWT' });
      const inner = b64(token);
      return `${header}.${inner}.${signWith(key.kid, key.alg, `${header}.${inner}`)}`;
    }
    case 'reencode-header': {
      // The same header JSON with whitespace, signature not recomputed.
      const decoded = JSON.parse(Buffer.from(h, 'base64url').toString());
      return `${b64(JSON.stringify(decoded, null, 1))}.${p}.${s}`;
    }
    case 'none':
      return `${json({ alg: 'none', kid: key.kid, typ: 'at+jwt' })}.${p}.`;
    default:
      return token;
  }
}

describe('differential: Web Crypto path, node:crypto path and jose agree', () => {
  it('on valid tokens of every algorithm', async () => {
    for (const key of keys) {
      const token = mintToken(key);
      expect(await outcomes(token)).toEqual({ web: 'ok', node: 'ok', reference: true });
    }
  });

  it('on generated headers (alg none, HS256, kid injection, jku/x5u/jwk smuggling, crit, b64, typ)', async () => {
    await fc.assert(
      fc.asyncProperty(keyArb, headerArb, async (key, header) => {
        await expectSame(mintToken(key(), header));
      }),
      { numRuns: RUNS },
    );
  });

  it('on generated claims (iss, aud, exp, nbf, iat, sub, sid, jti, client_id)', async () => {
    await fc.assert(
      fc.asyncProperty(keyArb, claimArb, async (key, claims) => {
        await expectSame(mintToken(key(), {}, claims));
      }),
      { numRuns: RUNS },
    );
  });

  it('on mutations of valid tokens (truncations, bit flips, re-encodings, confusion, nesting)', async () => {
    await fc.assert(
      fc.asyncProperty(keyArb, mutationArb, async (key, mutation) => {
        const k = key();
        await expectSame(mutate(mintToken(k), mutation, k));
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it('on a signature by one key presented under another kid (cross-key, cross-algorithm)', async () => {
    for (const signer of keys) {
      for (const named of keys) {
        const h = json({ alg: named.alg, kid: named.kid, typ: 'at+jwt' });
        const p = json(validClaims());
        const token = `${h}.${p}.${signWith(signer.kid, signer.alg, `${h}.${p}`)}`;
        const o = await outcomes(token);
        expect(o).toEqual(
          signer === named
            ? { web: 'ok', node: 'ok', reference: true }
            : { web: o.web, node: o.web, reference: false },
        );
      }
    }
  });

  it('on arbitrary strings', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string(), fc.stringMatching(/^[A-Za-z0-9_.-]{0,200}$/)), async (token) => {
        await expectSame(token);
      }),
      { numRuns: RUNS },
    );
  });
});
