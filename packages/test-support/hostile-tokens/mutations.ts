/**
 * Hostile tokens made from valid ones, and token-shaped garbage.
 *
 * @module
 */
import fc from 'fast-check';
import { BASE64URL_ALPHABET as ALPHABET, garbageText, ODD_CHARACTERS } from './characters.ts';
import { b64u, jsonSegment, jws, type TokenKey } from './keys.ts';
import type { BadToken } from './types.ts';

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
