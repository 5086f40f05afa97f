/**
 * Characters and text that do not belong in a token, and the pieces of a token that must never be
 * echoed back.
 *
 * @module
 */
import fc from 'fast-check';

/** The base64url alphabet. */
export const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

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
  { weight: 2, arbitrary: fc.constantFrom(...BASE64URL_ALPHABET) },
);

/** Arbitrary text: printable ASCII, or any code units (lone surrogates, NUL, RTL marks...). */
export const garbageText = (maxLength = 300): fc.Arbitrary<string> =>
  fc.oneof(fc.string({ maxLength }), fc.string({ unit: anyCodeUnit, maxLength }));

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

/** Every window of `size` characters of `text` (all of it when shorter). */
export function windows(text: string, size = 16): string[] {
  if (text.length <= size) return [text];
  const out: string[] = [];
  for (let i = 0; i + size <= text.length; i++) out.push(text.slice(i, i + size));
  return out;
}
