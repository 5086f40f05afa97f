import { KitDpopNonceRequiredError, KitDpopProofInvalidError } from '../errors.ts';
import { equalInConstantTime } from './constant-time.ts';
import { normalizeHttpUrl } from './htu.ts';

/** Longest `jti` accepted: a UUID is 36 characters, 256 bits of base64url 43. */
const MAX_JTI_LENGTH = 256;

/**
 * What the request says a proof must match, prepared by the verifier.
 *
 * @internal
 */
export interface ProofExpectations {
  readonly method: string;
  /** The request URL as {@link normalizeHttpUrl} returns it. */
  readonly url: string;
  readonly nowMs: number;
  readonly maxAgeMs: number;
  readonly toleranceMs: number;
  /** base64url SHA-256 of the access token, when one was presented. */
  readonly ath: string | undefined;
  /** The nonces the server accepts now, when it requires one. */
  readonly nonces: readonly string[] | undefined;
}

/**
 * The claims of a proof that passed {@link checkProofClaims}.
 *
 * @internal
 */
export interface CheckedProofClaims {
  readonly jti: string;
  readonly iat: number;
  readonly nonce: string | undefined;
}

/**
 * Checks a proof's claims against the request (RFC 9449 §4.3 points 3 and 8 to 12): first that
 * `jti`, `htu` and `iat` are present with their types, then `htm`, `htu`, `nonce`, the `iat`
 * window and `ath`. Throws {@link KitDpopProofInvalidError} naming the claim, or
 * {@link KitDpopNonceRequiredError}; never quotes a claim.
 *
 * @internal
 */
export function checkProofClaims(
  claims: Record<string, unknown>,
  expected: ProofExpectations,
): CheckedProofClaims {
  const { jti, htm, htu, iat } = claims;
  if (typeof jti !== 'string' || jti === '' || jti.length > MAX_JTI_LENGTH) {
    throw new KitDpopProofInvalidError('jti');
  }
  if (typeof htu !== 'string') throw new KitDpopProofInvalidError('htu');
  // JSON has no NaN; `1e400` parses to Infinity, which the window below refuses either way.
  if (typeof iat !== 'number') throw new KitDpopProofInvalidError('iat');

  // Methods are case-sensitive (RFC 9110 §9.1); a missing or non-string `htm` never equals one.
  if (htm !== expected.method) throw new KitDpopProofInvalidError('htm');
  const proofUrl = normalizeHttpUrl(htu);
  if (proofUrl === undefined || proofUrl !== expected.url) throw new KitDpopProofInvalidError('htu');

  const nonce = claims.nonce;
  if (expected.nonces !== undefined) {
    if (typeof nonce !== 'string' || !expected.nonces.some((n) => equalInConstantTime(n, nonce))) {
      throw new KitDpopNonceRequiredError();
    }
  }

  const iatMs = iat * 1000;
  if (expected.nowMs - iatMs > expected.maxAgeMs + expected.toleranceMs) {
    throw new KitDpopProofInvalidError('iat');
  }
  if (iatMs - expected.nowMs > expected.toleranceMs) throw new KitDpopProofInvalidError('iat');

  if (expected.ath !== undefined) {
    const ath = claims.ath;
    if (typeof ath !== 'string' || !equalInConstantTime(ath, expected.ath)) {
      throw new KitDpopProofInvalidError('ath');
    }
  }
  return { jti, iat, nonce: typeof nonce === 'string' ? nonce : undefined };
}
