import { KitJwtAlgorithmNotAllowedError, KitJwtInvalidError, KitJwtMalformedError } from '../errors.ts';
import type { AlgorithmProfile } from './algorithms.ts';
import { decodeJsonSegment } from './decode-segment.ts';

/**
 * A protected header that passed every check. The verifier caches it by its encoded form.
 *
 * @internal
 */
export interface CheckedHeader {
  readonly kid: string;
  readonly profile: AlgorithmProfile;
}

/**
 * Parses and checks a protected header. Throws a `KitError`; never quotes the header.
 *
 * @internal
 */
export function checkHeader(
  encodedHeader: string,
  allowed: ReadonlyMap<string, AlgorithmProfile>,
): CheckedHeader {
  const header = decodeJsonSegment(encodedHeader);
  if (header === undefined) throw new KitJwtMalformedError();
  const alg = header.alg;
  if (typeof alg !== 'string') throw new KitJwtMalformedError();
  // The allow-list is the first defence against `none`, `HS*` with a public key as the secret,
  // and every other algorithm the issuer does not use. A Map lookup: `alg: "__proto__"` finds
  // nothing.
  const profile = allowed.get(alg);
  if (profile === undefined) throw new KitJwtAlgorithmNotAllowedError();
  // RFC 7515 §4.1.11: a `crit` extension we do not implement must make the token invalid; we
  // implement none. `b64: false` (RFC 7797) would change what is signed; it needs `crit`, and
  // anything other than the default is refused outright.
  if (header.crit !== undefined) {
    throw new KitJwtInvalidError(
      'The access token has a critical header parameter this verifier does not support.',
    );
  }
  if (header.b64 !== undefined && header.b64 !== true) throw new KitJwtInvalidError();
  // RFC 9068 §4 / RFC 8725 §3.11: explicit typing keeps ID tokens, logout tokens and other JWTs
  // signed by the same keys from being accepted as access tokens.
  const typ = header.typ;
  if (typeof typ !== 'string' || !isAccessTokenType(typ)) {
    throw new KitJwtInvalidError('The access token header "typ" is not "at+jwt".');
  }
  // Keys come only from the configured JWKS, selected by `kid`. Headers that carry or point at a
  // key (`jwk`, `jku`, `x5u`, `x5c`) are ignored: trusting them would let anyone sign.
  const kid = header.kid;
  if (typeof kid !== 'string' || kid === '') {
    throw new KitJwtInvalidError('The access token header has no "kid".');
  }
  return { kid, profile };
}

function isAccessTokenType(typ: string): boolean {
  // RFC 7515 §4.1.9: media type names are case-insensitive and `application/` may be omitted.
  const value = typ.toLowerCase();
  return value === 'at+jwt' || value === 'application/at+jwt';
}
