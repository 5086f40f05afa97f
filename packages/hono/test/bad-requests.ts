/**
 * Hostile request bodies for `POST /token` and `POST /revoke`, hostile refresh tokens, and a model
 * of the answer each body must get. Test-only.
 *
 * The model reads a body the way RFC 6749 and the contract describe it, with the platform's own
 * parsers (`URLSearchParams`, `JSON.parse`, a fatal UTF-8 decoder), not with the kit's code:
 *
 * - over 16 KiB (bytes) → 413 `invalid_request`, whatever the media type;
 * - a media type other than `application/x-www-form-urlencoded` or `application/json` (compared
 *   case-insensitively, parameters ignored) → 400 `invalid_request`;
 * - not UTF-8, not parseable, a repeated parameter or JSON member, a JSON value that is not an
 *   object of strings → 400 `invalid_request`;
 * - then the route's own rules (see {@link expectedTokenAnswer} and {@link expectedRevokeAnswer}).
 */
import fc from 'fast-check';
import { anyCodeUnit, b64u, garbageText, ODD_CHARACTERS } from '../../core/test/bad-tokens.ts';

/** The body limit of the contract: 16 KiB. */
export const LIMIT_BYTES = 16 * 1024;

/** One request body as sent. */
export interface BodyCase {
  kind: string;
  /** `Content-Type`, or `null` for none. */
  contentType: string | null;
  body: string | Uint8Array;
  /** Send an honest `Content-Length`; otherwise the body streams without one. */
  contentLength: boolean;
  /** The JSON text repeats a member (a JSON parser keeps only one of them, so the model is told). */
  duplicateJsonMembers?: boolean;
}

/** What the model expects: an OAuth error, or the call the route must make to the kit. */
export type Expected =
  | { status: number; error: string }
  | { reaches: 'refresh' | 'revoke'; credential: string };

const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';
const encoder = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export const bytesOf = (body: string | Uint8Array): Uint8Array =>
  typeof body === 'string' ? encoder.encode(body) : body;

/** RFC 9110 §8.3.1: type/subtype, case-insensitive, optional whitespace, parameters after `;`. */
function mediaType(contentType: string): string {
  return contentType
    .split(';')[0]!
    .replace(/^[ \t]+|[ \t]+$/g, '')
    .toLowerCase();
}

type Read = { error: 'invalid_request' | 'too_large' } | { params: Map<string, string> };

/** The parameters of a body, or why it has none. */
export function readModel(c: BodyCase): Read {
  const invalid = { error: 'invalid_request' } as const;
  const type = mediaType(c.contentType ?? '');
  const bytes = bytesOf(c.body);
  if (bytes.byteLength > LIMIT_BYTES) return { error: 'too_large' };
  if (type !== FORM && type !== JSON_TYPE) return invalid;
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    return invalid;
  }
  const params = new Map<string, string>();
  if (type === FORM) {
    for (const [key, value] of new URLSearchParams(text)) {
      if (params.has(key)) return invalid;
      params.set(key, value);
    }
    return { params };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return invalid;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || c.duplicateJsonMembers)
    return invalid;
  for (const [key, member] of Object.entries(value)) {
    if (typeof member !== 'string') return invalid;
    params.set(key, member);
  }
  return { params };
}

/** `POST /token`: RFC 6749 §5.2 and the contract. */
export function expectedTokenAnswer(c: BodyCase): Expected {
  const read = readModel(c);
  if ('error' in read) return { status: read.error === 'too_large' ? 413 : 400, error: 'invalid_request' };
  const grant = read.params.get('grant_type');
  if (grant === undefined || grant === '') return { status: 400, error: 'invalid_request' };
  if (grant !== 'refresh_token') return { status: 400, error: 'unsupported_grant_type' };
  const token = read.params.get('refresh_token');
  if (token === undefined || token === '') return { status: 400, error: 'invalid_request' };
  return { reaches: 'refresh', credential: token };
}

/** `POST /revoke`: RFC 7009 §2.1 (a `token` is required) and the contract. */
export function expectedRevokeAnswer(c: BodyCase): Expected {
  const read = readModel(c);
  if ('error' in read) return { status: read.error === 'too_large' ? 413 : 400, error: 'invalid_request' };
  const token = read.params.get('token');
  if (token === undefined || token === '') return { status: 400, error: 'invalid_request' };
  return { reaches: 'revoke', credential: token };
}

// ---------------------------------------------------------------------------------------------
// Refresh tokens.

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const PREFIX = 'kit_rt_';

/** The 69 bytes behind a refresh token (version, session id, generation, secret, tag). */
const rawOf = (token: string) => Buffer.from(token.slice(PREFIX.length), 'base64url');
const tokenOf = (raw: Uint8Array) => PREFIX + b64u(raw);

/**
 * Refresh tokens that must never be accepted: mutations of genuine ones (truncations, deletions,
 * odd characters, character and byte bit flips in every field, another generation or session id
 * under the old tag, splices of two tokens, re-encodings, prefix games, whitespace, case, same-low-
 * byte characters, repetitions), tokens of another deployment, access tokens, and garbage. Never
 * one of `genuine`.
 */
export function badRefreshTokenArb(
  genuine: readonly string[],
  others: { foreign: readonly string[]; accessTokens: readonly string[] },
): fc.Arbitrary<string> {
  const source = fc.constantFrom(...genuine);
  const at = (t: string, i: number) => i % Math.max(t.length, 1);
  const mutate = (f: (t: string) => string) => source.map(f);
  const mutations = fc.oneof(
    fc.tuple(source, fc.nat()).map(([t, i]) => t.slice(0, at(t, i))),
    fc.tuple(source, fc.nat()).map(([t, i]) => t.slice(0, at(t, i)) + t.slice(at(t, i) + 1)),
    fc
      .tuple(source, fc.nat(), fc.constantFrom(...ODD_CHARACTERS, 'A', '-', '_'))
      .map(([t, i, c]) => t.slice(0, at(t, i)) + c + t.slice(at(t, i))),
    fc.tuple(source, fc.nat(), fc.nat({ max: 5 })).map(([t, i, bit]) => {
      const j = PREFIX.length + (i % (t.length - PREFIX.length));
      return t.slice(0, j) + ALPHABET[ALPHABET.indexOf(t[j]!) ^ (1 << bit)] + t.slice(j + 1);
    }),
    // A bit of one decoded byte: version (0), session id (1-16), generation (17-20), secret
    // (21-52) or tag (53-68); canonically re-encoded, so only the tag can tell.
    fc.tuple(source, fc.nat({ max: 68 }), fc.nat({ max: 7 })).map(([t, byte, bit]) => {
      const raw = rawOf(t);
      raw[byte]! ^= 1 << bit;
      return tokenOf(raw);
    }),
    fc.tuple(source, fc.oneof(fc.constantFrom(0, 1, 2, 0xffffffff), fc.nat())).map(([t, generation]) => {
      const raw = rawOf(t);
      raw.writeUInt32BE(generation >>> 0, 17);
      return tokenOf(raw);
    }),
    fc.tuple(source, source, fc.integer({ min: 1, max: 68 })).map(([a, b, cut]) => {
      const raw = Buffer.concat([rawOf(a).subarray(0, cut), rawOf(b).subarray(cut)]);
      return tokenOf(raw);
    }),
    fc.tuple(source, fc.nat(), fc.integer({ min: 1, max: 0xff })).map(([t, i, high]) => {
      const j = at(t, i);
      return t.slice(0, j) + String.fromCharCode((high << 8) | t.charCodeAt(j)) + t.slice(j + 1);
    }),
    fc.tuple(source, fc.nat()).map(([t, i]) => {
      const j = at(t, i);
      const c = t[j]!;
      return t.slice(0, j) + (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()) + t.slice(j + 1);
    }),
    fc
      .tuple(
        source,
        fc.constantFrom(' ', '\t', '\n', '\r\n', '\u00a0', '\u200b', '\u200f', '\ufeff', '\u0000'),
      )
      .chain(([t, ws]) => fc.constantFrom(`${ws}${t}`, `${t}${ws}`, `${ws}${t}${ws}`)),
    mutate((t) => t.replaceAll('-', '+').replaceAll('_', '/')),
    mutate((t) => `${PREFIX}${rawOf(t).toString('base64')}`),
    mutate((t) => `${t}=`),
    mutate((t) => `${t}==`),
    mutate((t) => t.toUpperCase()),
    mutate((t) => t.slice(PREFIX.length)),
    mutate((t) => `KIT_RT_${t.slice(PREFIX.length)}`),
    mutate((t) => `kit_rt${t.slice(PREFIX.length)}`),
    mutate((t) => `kit-rt-${t.slice(PREFIX.length)}`),
    mutate((t) => `kit_at_${t.slice(PREFIX.length)}`),
    mutate((t) => `${PREFIX}${t}`),
    mutate((t) => `${t}${t}`),
    mutate((t) => `${t},${t}`),
    mutate((t) => `${t} ${t}`),
    mutate((t) => `"${t}"`),
    mutate((t) => `Bearer ${t}`),
    // Percent-encoded once more than the body needs: the server must not decode it twice.
    mutate((t) => t.replace(/[A-Za-z]/g, (c) => `%${c.charCodeAt(0).toString(16)}`)),
    mutate((t) => `${t.slice(0, -1)}%${t.charCodeAt(t.length - 1).toString(16)}`),
    fc.tuple(source, fc.integer({ min: 1, max: 4000 })).map(([t, n]) => `${t}${'A'.repeat(n)}`),
  );
  const forged = fc.oneof(
    fc.string({ unit: fc.constantFrom(...ALPHABET), minLength: 92, maxLength: 92 }).map((s) => PREFIX + s),
    // Well-formed random bytes with the right version: only the tag can tell.
    fc.uint8Array({ minLength: 68, maxLength: 68 }).map((rest) => tokenOf(Uint8Array.from([1, ...rest]))),
    garbageText(),
    fc.string({ unit: anyCodeUnit, maxLength: 99 }).map((s) => PREFIX + s),
  );
  const presented = [...others.foreign, ...others.accessTokens];
  return fc
    .oneof(
      { weight: 6, arbitrary: mutations },
      { weight: 3, arbitrary: forged },
      { weight: 1, arbitrary: fc.constantFrom(...presented) },
    )
    .filter((t) => !genuine.includes(t));
}

// ---------------------------------------------------------------------------------------------
// Bodies.

/** How a credential is carried: the route's parameters. */
export interface Route {
  name: 'token' | 'revoke';
  /** The credential parameter. */
  credential: 'refresh_token' | 'token';
  /** Parameters every well-formed request of the route has besides the credential. */
  base: Record<string, string>;
}

export const TOKEN_ROUTE: Route = {
  name: 'token',
  credential: 'refresh_token',
  base: { grant_type: 'refresh_token' },
};
export const REVOKE_ROUTE: Route = { name: 'revoke', credential: 'token', base: {} };

const FORM_TYPES = [FORM, `${FORM}; charset=UTF-8`, 'Application/X-WWW-Form-Urlencoded'];
const JSON_TYPES = [
  JSON_TYPE,
  `${JSON_TYPE}; charset=utf-8`,
  'APPLICATION/JSON',
  `${JSON_TYPE};charset="utf-8"`,
];
const BAD_TYPES = [
  'text/plain',
  'text/plain;charset=UTF-8',
  'multipart/form-data; boundary=x',
  'application/jwt',
  'application/xml',
  'text/json',
  'application/json-patch+json',
  'application/ld+json',
  'application/jsonx',
  'application/x-www-form-urlencodedx',
  'application/x-www-form-urlencoded-json',
  `${FORM}, ${JSON_TYPE}`,
  `${JSON_TYPE},${FORM}`,
  'application/octet-stream',
  '*/*',
  '',
];

/** Extra parameters a client may send (RFC 6749 allows unknown ones). */
const extraArb = fc
  .subarray(
    [
      ['client_id', 'web'],
      ['scope', 'openid'],
      ['token_type_hint', 'refresh_token'],
      ['token_type_hint', 'access_token'],
      ['redirect_uri', 'https://app.example/cb'],
      ['__proto__', 'x'],
      ['constructor', 'y'],
      ['', ''],
    ] as [string, string][],
    { maxLength: 3 },
  )
  .map((pairs) => {
    const seen = new Set<string>();
    return pairs.filter(([k]) => !seen.has(k) && seen.add(k));
  });

/** Entries in a random order. */
const shuffled = <T>(items: T[]) =>
  fc.shuffledSubarray(items, { minLength: items.length, maxLength: items.length });

const formText = (entries: [string, string][]) => new URLSearchParams(entries).toString();
/** A JSON object text from entries written as given (so members can repeat). */
const jsonText = (entries: [string, unknown][], keyOf: (key: string) => string = (k) => JSON.stringify(k)) =>
  `{${entries.map(([k, v]) => `${keyOf(k)}:${JSON.stringify(v)}`).join(',')}}`;

/** The same key in another spelling of its JSON string (escapes decode to the same key). */
function respell(key: string, how: number): string {
  if (key === '') return '""';
  switch (how % 3) {
    case 0:
      return `"\\u${key.charCodeAt(0).toString(16).padStart(4, '0')}${JSON.stringify(key).slice(2)}`;
    case 1:
      return JSON.stringify(key).replace('_', '\\u005f');
    default:
      return JSON.stringify(key);
  }
}

const wellFormed = (route: Route, credential: string, extras: [string, string][]): [string, string][] => [
  ...Object.entries(route.base),
  [route.credential, credential],
  ...extras,
];

const encoded = (entries: [string, string][], asJson: boolean) =>
  fc.tuple(shuffled(entries), fc.constantFrom(...(asJson ? JSON_TYPES : FORM_TYPES)), fc.boolean()).map(
    ([list, contentType, contentLength]): Omit<BodyCase, 'kind'> => ({
      contentType,
      body: asJson ? jsonText(list) : formText(list),
      contentLength,
    }),
  );

/**
 * Request bodies for `route`: well-formed ones carrying a bad credential, and malformed ones
 * (duplicated parameters or members, wrong JSON types, wrong or missing grant, a misnamed
 * credential, wrong media types, broken JSON, non-object JSON, bodies over 16 KiB, invalid UTF-8)
 * that carry a GENUINE credential, which must not be used. Plus arbitrary bodies.
 */
export function requestArb(
  route: Route,
  genuine: readonly string[],
  bad: fc.Arbitrary<string>,
): fc.Arbitrary<BodyCase> {
  const real = fc.constantFrom(...genuine);
  const asJson = fc.boolean();
  const kinded = (kind: string, arb: fc.Arbitrary<Omit<BodyCase, 'kind'>>) =>
    arb.map((c) => ({ kind, ...c }));

  const cases: fc.Arbitrary<BodyCase>[] = [
    // Well-formed, bad credential.
    kinded(
      'bad credential',
      fc
        .tuple(bad, extraArb, asJson)
        .chain(([t, extras, json]) => encoded(wellFormed(route, t, extras), json)),
    ),
    // A parameter repeated (form), the genuine credential among the values.
    kinded(
      'repeated parameter',
      fc
        .tuple(real, extraArb, fc.oneof(bad, real, fc.constant('')), fc.nat(), fc.boolean())
        .chain(([t, extras, other, which, contentLength]) => {
          const entries = wellFormed(route, t, extras);
          const [name, value] = entries[which % entries.length]!;
          const dup: [string, string] = [name, name === route.credential ? other : value];
          return shuffled([...entries, dup]).map((list) => ({
            contentType: FORM,
            body: formText(list),
            contentLength,
          }));
        }),
    ),
    // A JSON member repeated, possibly under an escaped spelling of the same key.
    kinded(
      'repeated JSON member',
      fc
        .tuple(real, extraArb, fc.oneof(bad, real), fc.nat(), fc.nat(), fc.boolean())
        .chain(([t, extras, other, which, how, contentLength]) => {
          const entries = wellFormed(route, t, extras);
          const [name, value] = entries[which % entries.length]!;
          const list: [string, string][] = [...entries, [name, name === route.credential ? other : value]];
          return shuffled(list.map((e, i) => [...e, i === list.length - 1] as const)).map((items) => ({
            contentType: JSON_TYPE,
            body: `{${items.map(([k, v, last]) => `${last ? respell(k, how) : JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`,
            contentLength,
            duplicateJsonMembers: true,
          }));
        }),
    ),
    // A JSON value that is not a string, in the credential or any other member.
    kinded(
      'non-string JSON value',
      fc
        .tuple(
          real,
          extraArb,
          fc.nat(),
          fc.constantFrom<(t: string) => unknown>(
            () => 42,
            () => 4.2e1,
            () => -0,
            () => true,
            () => null,
            (t) => [t],
            (t) => ({ value: t }),
            (t) => [[t]],
            () => [],
            () => ({}),
          ),
          fc.boolean(),
        )
        .chain(([t, extras, which, wrong, contentLength]) => {
          const entries: [string, unknown][] = wellFormed(route, t, extras);
          const i = which % entries.length;
          entries[i] = [entries[i]![0], wrong(t)];
          return shuffled(entries).map((list) => ({
            contentType: JSON_TYPE,
            body: jsonText(list),
            contentLength,
          }));
        }),
    ),
    // Broken JSON around a genuine credential.
    kinded(
      'broken JSON',
      fc
        .tuple(
          real,
          extraArb,
          fc.constantFrom<(json: string, cut: number) => string>(
            (j, cut) => j.slice(0, cut % j.length),
            (j) => `${j}x`,
            (j) => `${j}${j}`,
            (j) => `${j.slice(0, -1)},}`,
            (j) => j.replaceAll('"', "'"),
            (j) => j.replace(/"([a-z_]+)":/g, '$1:'),
            (j) => `/* */${j}`,
            (j) => `${j.slice(0, -1)},"n":NaN}`,
            (j) => `${j.slice(0, -1)},"u":undefined}`,
            (j) => j.replace('{', '{{'),
          ),
          fc.nat(),
          fc.boolean(),
        )
        .map(([t, extras, breakIt, cut, contentLength]) => ({
          contentType: JSON_TYPE,
          body: breakIt(jsonText(wellFormed(route, t, extras)), cut),
          contentLength,
        })),
    ),
    // JSON that is not an object.
    kinded(
      'JSON not an object',
      fc
        .tuple(
          real,
          fc.constantFrom<(t: string, j: string) => string>(
            (t) => JSON.stringify(t),
            (_t, j) => `[${j}]`,
            (t) => JSON.stringify(Object.entries({ ...route.base, [route.credential]: t }).flat()),
            () => 'null',
            () => '0',
            () => 'true',
            () => '""',
            () => '',
          ),
          fc.boolean(),
        )
        .map(([t, make, contentLength]) => ({
          contentType: JSON_TYPE,
          body: make(t, jsonText(wellFormed(route, t, []))),
          contentLength,
        })),
    ),
    // Another media type, or the other one than the body is written in.
    kinded(
      'wrong media type',
      fc
        .tuple(
          real,
          extraArb,
          asJson,
          fc.oneof(fc.constantFrom(...BAD_TYPES), fc.constant(null), fc.constant('swap')),
          fc.boolean(),
        )
        .map(([t, extras, json, type, contentLength]) => ({
          contentType: type === 'swap' ? (json ? FORM : JSON_TYPE) : type,
          body: json ? jsonText(wellFormed(route, t, extras)) : formText(wellFormed(route, t, extras)),
          contentLength,
        })),
    ),
    // The credential under a wrong name (and not under the right one, or empty there).
    kinded(
      'misnamed credential',
      fc
        .tuple(
          real,
          fc.constantFrom(
            ...[
              `${route.credential} `,
              ` ${route.credential}`,
              route.credential.toUpperCase(),
              route.credential.replace('_', '-'),
              route.credential.replace('t', 'T'),
              `${route.credential}[]`,
              `${route.credential}\u0000`,
              `\ufeff${route.credential}`,
              route.name === 'token' ? 'token' : 'refresh_token',
              'access_token',
              'code',
            ].filter((name) => name !== route.credential),
          ),
          fc.boolean(),
          asJson,
        )
        .chain(([t, name, withEmpty, json]) => {
          const entries: [string, string][] = [...Object.entries(route.base), [name, t]];
          if (withEmpty) entries.push([route.credential, '']);
          return encoded(entries, json);
        }),
    ),
    // Over 16 KiB, a genuine credential inside: 413 before anything is parsed or used.
    kinded(
      'over 16 KiB',
      fc
        .tuple(
          real,
          extraArb,
          asJson,
          fc.constantFrom('x', '\u00e9', '\ud83d\udca5', '%41', '\u0000'),
          fc.integer({ min: 1, max: 40_000 }),
          fc.boolean(),
        )
        .map(([t, extras, json, unit, over, contentLength]) => {
          const entries = wellFormed(route, t, extras);
          const write = (pad: string) =>
            json ? jsonText([...entries, ['pad', pad]]) : formText([...entries, ['pad', pad]]);
          const base = encoder.encode(write('')).byteLength;
          const unitBytes = encoder.encode(write(unit)).byteLength - base;
          const count = Math.ceil((LIMIT_BYTES - base + over) / unitBytes);
          return {
            contentType: json ? JSON_TYPE : FORM,
            body: write(unit.repeat(Math.max(count, 1))),
            contentLength,
          };
        }),
    ),
    // Exactly at the limit, bad credential: parsed, not 413.
    kinded(
      'exactly 16 KiB',
      fc.tuple(bad, asJson, fc.boolean()).map(([t, json, contentLength]) => {
        const entries = wellFormed(route, t, []);
        const write = (pad: string) =>
          json ? jsonText([['pad', pad], ...entries]) : formText([['pad', pad], ...entries]);
        const room = LIMIT_BYTES - encoder.encode(write('')).byteLength;
        return {
          contentType: json ? JSON_TYPE : FORM,
          body: write('x'.repeat(Math.max(room, 0))),
          contentLength,
        };
      }),
    ),
    // Bytes that are not UTF-8, in another parameter than the genuine credential.
    kinded(
      'not UTF-8',
      fc
        .tuple(
          real,
          asJson,
          fc.constantFrom(
            [0xff],
            [0xc0, 0x80],
            [0x80],
            [0xed, 0xa0, 0x80],
            [0xf4, 0x90, 0x80, 0x80],
            [0xe2, 0x82],
          ),
          fc.boolean(),
        )
        .map(([t, json, bad, contentLength]) => {
          const text = json
            ? jsonText(wellFormed(route, t, [['client_id', 'PLACE']]))
            : formText(wellFormed(route, t, [['client_id', 'PLACE']]));
          const [before, after] = text.split('PLACE') as [string, string];
          return {
            contentType: json ? JSON_TYPE : FORM,
            body: new Uint8Array([...encoder.encode(before), ...bad, ...encoder.encode(after)]),
            contentLength,
          };
        }),
    ),
    // Arbitrary form-ish text and arbitrary JSON objects around a bad credential.
    kinded(
      'arbitrary body',
      fc
        .tuple(
          fc.oneof(
            garbageText(400),
            fc.string({ unit: anyCodeUnit, maxLength: 200 }).map((s) => `${s}&${s}=${s}`),
          ),
          fc.constantFrom(FORM, JSON_TYPE, 'text/plain', null),
          fc.boolean(),
        )
        .map(([body, contentType, contentLength]) => ({ contentType, body, contentLength })),
    ),
    kinded(
      'arbitrary JSON object',
      fc
        .tuple(
          fc.dictionary(fc.string({ unit: anyCodeUnit, maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }), {
            maxKeys: 5,
          }),
          bad,
          fc.boolean(),
          fc.boolean(),
        )
        .map(([dict, t, keepBase, contentLength]) => ({
          contentType: JSON_TYPE,
          body: JSON.stringify({ ...dict, ...(keepBase ? route.base : {}), [route.credential]: t }),
          contentLength,
        })),
    ),
  ];
  if (route.name === 'token') {
    cases.push(
      kinded(
        'wrong grant_type',
        fc
          .tuple(
            real,
            fc.oneof(
              fc.constantFrom(
                'REFRESH_TOKEN',
                'Refresh_Token',
                'refresh_token ',
                ' refresh_token',
                'refresh_token\u0000',
                'refresh_token\u200f',
                '\u202erefresh_token',
                '\ufeffrefresh_token',
                'refresh-token',
                'refresh_token,refresh_token',
                'password',
                'authorization_code',
                'client_credentials',
                'urn:ietf:params:oauth:grant-type:jwt-bearer',
                'urn:ietf:params:oauth:grant-type:token-exchange',
                'implicit',
              ),
              garbageText(30).filter((s) => s !== '' && s !== 'refresh_token'),
            ),
            extraArb,
            asJson,
          )
          .chain(([t, grant, extras, json]) =>
            encoded([['grant_type', grant], [route.credential, t], ...extras], json),
          ),
      ),
      kinded(
        'missing grant_type',
        fc
          .tuple(real, fc.boolean(), extraArb, asJson)
          .chain(([t, empty, extras, json]) =>
            encoded(
              [...(empty ? [['grant_type', ''] as [string, string]] : []), [route.credential, t], ...extras],
              json,
            ),
          ),
      ),
    );
  }
  return fc.oneof(...cases);
}

/** Every window of `size` characters of `text` (all of it when shorter). */
export function windows(text: string, size = 16): string[] {
  if (text.length <= size) return [text];
  const out: string[] = [];
  for (let i = 0; i + size <= text.length; i++) out.push(text.slice(i, i + size));
  return out;
}
