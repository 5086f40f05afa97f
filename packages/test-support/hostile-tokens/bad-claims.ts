/**
 * Bad claims and payloads under a correct header, signed by an issuer key.
 *
 * @module
 */
import fc from 'fast-check';
import { b64u, jsonSegment, jws } from './keys.ts';
import type { BadToken, TokenSources } from './types.ts';

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
