/**
 * The routes' parameters and how a request body is written, for the body generators.
 *
 * @module
 */
import fc from 'fast-check';
import { type BodyCase, FORM, JSON_TYPE } from './model.ts';

/** How a credential is carried: the route's parameters. */
export interface Route {
  name: 'token' | 'revoke';
  /** The credential parameter. */
  credential: 'refresh_token' | 'token';
  /** Parameters every well-formed request of the route has besides the credential. */
  base: Record<string, string>;
}

/** `POST /token` with `grant_type=refresh_token`. */
export const TOKEN_ROUTE: Route = {
  name: 'token',
  credential: 'refresh_token',
  base: { grant_type: 'refresh_token' },
};
/** `POST /revoke`. */
export const REVOKE_ROUTE: Route = { name: 'revoke', credential: 'token', base: {} };

const FORM_TYPES = [FORM, `${FORM}; charset=UTF-8`, 'Application/X-WWW-Form-Urlencoded'];
const JSON_TYPES = [
  JSON_TYPE,
  `${JSON_TYPE}; charset=utf-8`,
  'APPLICATION/JSON',
  `${JSON_TYPE};charset="utf-8"`,
];
export const BAD_TYPES = [
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
export const extraArb = fc
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
export const shuffled = <T>(items: T[]) =>
  fc.shuffledSubarray(items, { minLength: items.length, maxLength: items.length });

export const formText = (entries: [string, string][]) => new URLSearchParams(entries).toString();
/** A JSON object text from entries written as given (so members can repeat). */
export const jsonText = (
  entries: [string, unknown][],
  keyOf: (key: string) => string = (k) => JSON.stringify(k),
) => `{${entries.map(([k, v]) => `${keyOf(k)}:${JSON.stringify(v)}`).join(',')}}`;

/** The same key in another spelling of its JSON string (escapes decode to the same key). */
export function respell(key: string, how: number): string {
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

export const wellFormed = (
  route: Route,
  credential: string,
  extras: [string, string][],
): [string, string][] => [...Object.entries(route.base), [route.credential, credential], ...extras];

export const encoded = (entries: [string, string][], asJson: boolean) =>
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

/** What every case generator gets: the route, genuine credentials and bad ones. */
export interface CaseContext {
  route: Route;
  /** A genuine credential, which a malformed request carries and which must not be used. */
  real: fc.Arbitrary<string>;
  /** A credential that must never be accepted. */
  bad: fc.Arbitrary<string>;
}

/** A body generator's cases, named by `kind`. */
export const kinded = (kind: string, arb: fc.Arbitrary<Omit<BodyCase, 'kind'>>): fc.Arbitrary<BodyCase> =>
  arb.map((c) => ({ kind, ...c }));
