/**
 * Hostile refresh tokens.
 *
 * @module
 */
import fc from 'fast-check';
import {
  BASE64URL_ALPHABET as ALPHABET,
  anyCodeUnit,
  b64u,
  garbageText,
  ODD_CHARACTERS,
} from '../hostile-tokens/index.ts';

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
