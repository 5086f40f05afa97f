/**
 * Asymmetric JWS algorithms the kit signs access tokens with. Symmetric algorithms are never
 * offered: a verifier must never hold a signing secret.
 */
export type SigningAlgorithm = 'ES256' | 'ES384' | 'EdDSA' | 'RS256' | 'PS256';

/**
 * Every supported {@link SigningAlgorithm}, default first.
 */
export const SIGNING_ALGORITHMS: readonly SigningAlgorithm[] = Object.freeze([
  'ES256',
  'EdDSA',
  'ES384',
  'RS256',
  'PS256',
]);

/**
 * Whether `value` names a supported signing algorithm.
 */
export function isSigningAlgorithm(value: unknown): value is SigningAlgorithm {
  return typeof value === 'string' && (SIGNING_ALGORITHMS as readonly string[]).includes(value);
}

/** The JWK `kty` (and `crv` where it applies) each algorithm needs. */
export const KEY_SHAPE: Readonly<Record<SigningAlgorithm, { kty: string; crv?: string }>> = Object.freeze({
  ES256: { kty: 'EC', crv: 'P-256' },
  ES384: { kty: 'EC', crv: 'P-384' },
  EdDSA: { kty: 'OKP', crv: 'Ed25519' },
  RS256: { kty: 'RSA' },
  PS256: { kty: 'RSA' },
});
