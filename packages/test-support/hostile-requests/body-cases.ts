/**
 * Bodies that are wrong as a whole (broken or non-object JSON, a wrong media type, over the size
 * limit, not UTF-8) around a genuine credential, and arbitrary bodies.
 *
 * @module
 */
import fc from 'fast-check';
import { anyCodeUnit, garbageText } from '../hostile-tokens/index.ts';
import { BAD_TYPES, type CaseContext, extraArb, formText, jsonText, kinded, wellFormed } from './encoding.ts';
import { type BodyCase, FORM, JSON_TYPE, LIMIT_BYTES } from './model.ts';

const encoder = new TextEncoder();

/** Broken JSON around a genuine credential. */
export function brokenJsonCase({ route, real }: CaseContext): fc.Arbitrary<BodyCase> {
  return kinded(
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
  );
}

/** JSON that is not an object. */
export function jsonNotAnObjectCase({ route, real }: CaseContext): fc.Arbitrary<BodyCase> {
  return kinded(
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
  );
}

/** Another media type, or the other one than the body is written in. */
export function wrongMediaTypeCase({ route, real }: CaseContext): fc.Arbitrary<BodyCase> {
  return kinded(
    'wrong media type',
    fc
      .tuple(
        real,
        extraArb,
        fc.boolean(),
        fc.oneof(fc.constantFrom(...BAD_TYPES), fc.constant(null), fc.constant('swap')),
        fc.boolean(),
      )
      .map(([t, extras, json, type, contentLength]) => ({
        contentType: type === 'swap' ? (json ? FORM : JSON_TYPE) : type,
        body: json ? jsonText(wellFormed(route, t, extras)) : formText(wellFormed(route, t, extras)),
        contentLength,
      })),
  );
}

/** Over 16 KiB, a genuine credential inside: 413 before anything is parsed or used. */
export function overLimitCase({ route, real }: CaseContext): fc.Arbitrary<BodyCase> {
  return kinded(
    'over 16 KiB',
    fc
      .tuple(
        real,
        extraArb,
        fc.boolean(),
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
  );
}

/** Exactly at the limit, bad credential: parsed, not 413. */
export function atLimitCase({ route, bad }: CaseContext): fc.Arbitrary<BodyCase> {
  return kinded(
    'exactly 16 KiB',
    fc.tuple(bad, fc.boolean(), fc.boolean()).map(([t, json, contentLength]) => {
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
  );
}

/** Bytes that are not UTF-8, in another parameter than the genuine credential. */
export function notUtf8Case({ route, real }: CaseContext): fc.Arbitrary<BodyCase> {
  return kinded(
    'not UTF-8',
    fc
      .tuple(
        real,
        fc.boolean(),
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
  );
}

/** Arbitrary form-ish text around a bad credential. */
export function arbitraryBodyCase(): fc.Arbitrary<BodyCase> {
  return kinded(
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
  );
}

/** Arbitrary JSON objects around a bad credential. */
export function arbitraryJsonObjectCase({ route, bad }: CaseContext): fc.Arbitrary<BodyCase> {
  return kinded(
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
  );
}
