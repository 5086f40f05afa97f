import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBase64url, encodeBase64url } from './base64url.ts';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function hex(bytes: Uint8Array | undefined): string | undefined {
  return bytes === undefined ? undefined : Buffer.from(bytes).toString('hex');
}

describe('encodeBase64url / decodeBase64url', () => {
  it('matches Buffer for every length from 0 to 100 (random content)', () => {
    for (let round = 0; round < 5; round++) {
      for (let length = 0; length <= 100; length++) {
        const bytes = new Uint8Array(randomBytes(length));
        const expected = Buffer.from(bytes).toString('base64url');
        const encoded = encodeBase64url(bytes);
        expect(encoded, `encode, length ${length}`).toBe(expected);
        const decoded = decodeBase64url(expected);
        expect(decoded, `decode, length ${length}`).toBeInstanceOf(Uint8Array);
        expect(decoded!.length).toBe(length);
        expect(hex(decoded), `decode, length ${length}`).toBe(bytes.length === 0 ? '' : hex(bytes));
      }
    }
  });

  it('handles the all-zero and all-0xff edge bytes', () => {
    for (const fill of [0x00, 0xff, 0xfb, 0xfc]) {
      for (let length = 1; length <= 6; length++) {
        const bytes = new Uint8Array(length).fill(fill);
        const encoded = encodeBase64url(bytes);
        expect(encoded).toBe(Buffer.from(bytes).toString('base64url'));
        expect(hex(decodeBase64url(encoded))).toBe(hex(bytes));
      }
    }
  });

  it('decodes the empty string to zero bytes', () => {
    const decoded = decodeBase64url('');
    expect(decoded).toBeInstanceOf(Uint8Array);
    expect(decoded!.length).toBe(0);
  });

  it('uses only the URL-safe alphabet, without padding', () => {
    // 0xfb 0xef 0xbe is four 62s ("----", standard base64 "++++"); 0xff 0xff 0xff four 63s.
    expect(encodeBase64url(new Uint8Array([0xfb, 0xef, 0xbe]))).toBe('----');
    expect(encodeBase64url(new Uint8Array([0xff, 0xff, 0xff]))).toBe('____');
    expect(encodeBase64url(new Uint8Array([0xff]))).toBe('_w');
    expect(encodeBase64url(new Uint8Array([0xff, 0xff]))).toBe('__8');
  });
});

describe('decodeBase64url rejects invalid input', () => {
  it('rejects a length of 4n+1', () => {
    for (const text of ['A', 'AAAAA', 'AAAAAAAAA', `${'A'.repeat(92)}A`]) {
      expect(decodeBase64url(text), JSON.stringify(text)).toBeUndefined();
    }
  });

  it('rejects characters outside the base64url alphabet', () => {
    const bad = [
      '+',
      '/',
      '=',
      ' ',
      '\t',
      '\n',
      '\r',
      '.',
      '~',
      '%',
      '\0',
      '\x7f',
      'é',
      '\u00a0',
      '\u2028',
      '\uff21', // fullwidth 'A'
      '\ud83d', // a lone surrogate
    ];
    for (const ch of bad) {
      for (const text of [`${ch}AAA`, `A${ch}AA`, `AA${ch}A`, `AAA${ch}`, `AAAA${ch}A`, `AAAAA${ch}A`]) {
        if (text.length % 4 === 1) continue;
        expect(decodeBase64url(text), JSON.stringify(text)).toBeUndefined();
      }
    }
    // A surrogate pair takes two UTF-16 units: "AA" + 😀 is 4 units long.
    expect(decodeBase64url('AA\u{1f600}')).toBeUndefined();
  });

  it('rejects padding, even where standard base64 would place it', () => {
    for (const text of ['AA==', 'AAA=', 'AAAAAA==', 'AAAAAAA=', 'AA=', 'AAAA====']) {
      expect(decodeBase64url(text), text).toBeUndefined();
    }
  });

  it('rejects the standard-alphabet characters that alias "-" and "_"', () => {
    expect(hex(decodeBase64url('-_-_'))).toBe(hex(Buffer.from('-_-_', 'base64url')));
    expect(decodeBase64url('+/+/')).toBeUndefined();
    expect(decodeBase64url('+_-_')).toBeUndefined();
    expect(decodeBase64url('-_-/')).toBeUndefined();
  });

  it('rejects non-zero trailing bits', () => {
    // One byte: 2 characters, the last 4 bits must be zero. Two bytes: 3 characters, last 2 bits.
    expect(hex(decodeBase64url('AA'))).toBe('00');
    expect(decodeBase64url('AB')).toBeUndefined();
    expect(decodeBase64url('AP')).toBeUndefined();
    expect(hex(decodeBase64url('AQ'))).toBe('01');
    expect(hex(decodeBase64url('AAA'))).toBe('0000');
    expect(decodeBase64url('AAB')).toBeUndefined();
    expect(decodeBase64url('AAD')).toBeUndefined();
    expect(hex(decodeBase64url('AAE'))).toBe('0001');
    expect(decodeBase64url('AAAAAB')).toBeUndefined();
    expect(decodeBase64url('AAAAAAB')).toBeUndefined();
  });

  it('accepts exactly the canonical encodings of 2 and 3 characters (exhaustive)', () => {
    // Every byte string must have exactly one accepted encoding, the one Buffer produces.
    let accepted2 = 0;
    for (const a of ALPHABET) {
      for (const b of ALPHABET) {
        const text = a + b;
        const canonical = Buffer.from(text, 'base64url').toString('base64url') === text;
        const decoded = decodeBase64url(text);
        expect(decoded !== undefined, text).toBe(canonical);
        if (decoded) {
          accepted2++;
          expect(hex(decoded)).toBe(Buffer.from(text, 'base64url').toString('hex'));
        }
      }
    }
    expect(accepted2).toBe(256);

    let accepted3 = 0;
    for (const a of ALPHABET) {
      for (const b of ALPHABET) {
        for (const c of ALPHABET) {
          const text = a + b + c;
          const decoded = decodeBase64url(text);
          const canonical = ALPHABET.indexOf(c) % 4 === 0;
          if ((decoded !== undefined) !== canonical) {
            expect.fail(`${text}: accepted=${decoded !== undefined}, canonical=${canonical}`);
          }
          if (decoded) accepted3++;
        }
      }
    }
    expect(accepted3).toBe(65536);
  });

  it('never accepts two different strings for the same bytes (random samples)', () => {
    for (let length = 1; length <= 40; length++) {
      const bytes = new Uint8Array(randomBytes(length));
      const encoded = encodeBase64url(bytes);
      const last = encoded.at(-1)!;
      for (const ch of ALPHABET) {
        if (ch === last) continue;
        const variant = encoded.slice(0, -1) + ch;
        const decoded = decodeBase64url(variant);
        if (decoded) expect(hex(decoded)).not.toBe(hex(bytes));
      }
    }
  });
});

describe('decodeBase64url: the Buffer fast path is as strict as the loop', () => {
  const URL_ALPHABET = ALPHABET.split('');
  /** The definition: only the url alphabet, and re-encoding gives back the same text. */
  const reference = (text: string) => {
    if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return undefined;
    const bytes = Buffer.from(text, 'base64url');
    return bytes.toString('base64url') === text ? bytes : undefined;
  };

  it('accepts and rejects exactly like the definition on long inputs (signatures, payloads)', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 65, maxLength: 400, unit: fc.constantFrom(...URL_ALPHABET) }),
        fc.option(
          fc.tuple(
            fc.nat(),
            fc.constantFrom(
              '+',
              '/',
              '=',
              '==',
              ' ',
              '\n',
              '\t',
              '.',
              'é',
              '\u0000',
              // Above U+00FF: Buffer reads the low byte, which here is a valid character ('A', 'w', '-').
              '\u0141',
              '\u0177',
              '\uff2d',
              '\u{1f600}',
            ),
          ),
        ),
        (text, insert) => {
          const at = insert ? insert[0] % text.length : 0;
          const input = insert ? text.slice(0, at) + insert[1] + text.slice(at) : text;
          const expected = reference(input);
          const actual = decodeBase64url(input);
          expect(actual === undefined).toBe(expected === undefined);
          if (actual && expected) expect(Buffer.from(actual).equals(expected)).toBe(true);
        },
      ),
      { numRuns: 20_000 },
    );
  });
});
