/**
 * Well-formed bodies with a bad credential, and bodies whose parameters are wrong (repeated,
 * misnamed, not strings, a wrong or missing grant) around a genuine one.
 *
 * @module
 */
import fc from 'fast-check';
import { garbageText } from '../hostile-tokens/index.ts';
import {
  type CaseContext,
  encoded,
  extraArb,
  formText,
  jsonText,
  kinded,
  respell,
  shuffled,
  wellFormed,
} from './encoding.ts';
import { type BodyCase, FORM, JSON_TYPE } from './model.ts';

/** Well-formed, bad credential. */
export function badCredentialCase({ route, bad }: CaseContext): fc.Arbitrary<BodyCase> {
  return kinded(
    'bad credential',
    fc
      .tuple(bad, extraArb, fc.boolean())
      .chain(([t, extras, json]) => encoded(wellFormed(route, t, extras), json)),
  );
}

/** A parameter repeated (form), the genuine credential among the values. */
export function repeatedParameterCase({ route, real, bad }: CaseContext): fc.Arbitrary<BodyCase> {
  return kinded(
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
  );
}

/** A JSON member repeated, possibly under an escaped spelling of the same key. */
export function repeatedJsonMemberCase({ route, real, bad }: CaseContext): fc.Arbitrary<BodyCase> {
  return kinded(
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
  );
}

/** A JSON value that is not a string, in the credential or any other member. */
export function nonStringJsonValueCase({ route, real }: CaseContext): fc.Arbitrary<BodyCase> {
  return kinded(
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
  );
}

/** The credential under a wrong name (and not under the right one, or empty there). */
export function misnamedCredentialCase({ route, real }: CaseContext): fc.Arbitrary<BodyCase> {
  return kinded(
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
        fc.boolean(),
      )
      .chain(([t, name, withEmpty, json]) => {
        const entries: [string, string][] = [...Object.entries(route.base), [name, t]];
        if (withEmpty) entries.push([route.credential, '']);
        return encoded(entries, json);
      }),
  );
}

/** A grant type other than `refresh_token` (`/token` only), a genuine credential inside. */
export function wrongGrantTypeCase({ route, real }: CaseContext): fc.Arbitrary<BodyCase> {
  return kinded(
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
        fc.boolean(),
      )
      .chain(([t, grant, extras, json]) =>
        encoded([['grant_type', grant], [route.credential, t], ...extras], json),
      ),
  );
}

/** No grant type, or an empty one (`/token` only), a genuine credential inside. */
export function missingGrantTypeCase({ route, real }: CaseContext): fc.Arbitrary<BodyCase> {
  return kinded(
    'missing grant_type',
    fc
      .tuple(real, fc.boolean(), extraArb, fc.boolean())
      .chain(([t, empty, extras, json]) =>
        encoded(
          [...(empty ? [['grant_type', ''] as [string, string]] : []), [route.credential, t], ...extras],
          json,
        ),
      ),
  );
}
