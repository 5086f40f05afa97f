import { KitJwtClaimInvalidError, KitJwtExpiredError } from '../errors.ts';

/**
 * Checks the registered and RFC 9068 claims of a verified payload; `now` and `tolerance` in
 * seconds. The order of the checks is stable and part of the tests.
 *
 * @internal
 */
export function checkClaims(
  claims: Record<string, unknown>,
  issuer: string,
  audiences: ReadonlySet<string>,
  now: number,
  tolerance: number,
): void {
  if (claims.iss !== issuer) throw new KitJwtClaimInvalidError('iss');
  if (!audienceMatches(claims.aud, audiences)) throw new KitJwtClaimInvalidError('aud');

  const exp = claims.exp;
  if (!isNumericDate(exp)) throw new KitJwtClaimInvalidError('exp');
  // RFC 7519 §4.1.4: the token must not be accepted on or after `exp`.
  if (exp <= now - tolerance) throw new KitJwtExpiredError();
  const nbf = claims.nbf;
  if (nbf !== undefined && (!isNumericDate(nbf) || nbf > now + tolerance))
    throw new KitJwtClaimInvalidError('nbf');
  const iat = claims.iat;
  // A token issued in the future means a broken issuer clock or a forged token either way.
  if (!isNumericDate(iat) || iat > now + tolerance) throw new KitJwtClaimInvalidError('iat');

  if (!isNonEmptyString(claims.sub)) throw new KitJwtClaimInvalidError('sub');
  if (!isNonEmptyString(claims.jti)) throw new KitJwtClaimInvalidError('jti');
  if (!isNonEmptyString(claims.sid)) throw new KitJwtClaimInvalidError('sid');
  if (!isNonEmptyString(claims.client_id)) throw new KitJwtClaimInvalidError('client_id');
}

function audienceMatches(aud: unknown, audiences: ReadonlySet<string>): boolean {
  if (typeof aud === 'string') return audiences.has(aud);
  if (!Array.isArray(aud) || aud.length === 0) return false;
  let match = false;
  for (const value of aud) {
    // RFC 7519 §4.1.3: an array of strings; anything else makes the claim invalid.
    if (typeof value !== 'string') return false;
    if (audiences.has(value)) match = true;
  }
  return match;
}

function isNumericDate(value: unknown): value is number {
  // `JSON.parse('1e999')` is Infinity: finite only.
  return typeof value === 'number' && Number.isFinite(value);
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}
