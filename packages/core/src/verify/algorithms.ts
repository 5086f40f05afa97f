/**
 * The asymmetric JWS algorithms a verifier accepts, and what each needs from a key.
 *
 * @module
 */

/**
 * A JWS algorithm `createVerifier` can accept. Only asymmetric algorithms exist here: a verifier
 * holds public keys and must never hold a signing secret, so `HS*` and `none` are not expressible.
 */
export type VerifierAlgorithm = 'ES256' | 'ES384' | 'EdDSA' | 'RS256' | 'PS256';

/**
 * What an algorithm needs from a key (`kty`, and `crv` where it applies) and the Web Crypto
 * parameters `crypto.subtle.verify` takes for it.
 *
 * @internal
 */
export interface AlgorithmProfile {
  readonly alg: VerifierAlgorithm;
  readonly kty: 'EC' | 'OKP' | 'RSA';
  /** Required curve, or `undefined` for RSA. */
  readonly crv: string | undefined;
  /** Parameters of `crypto.subtle.verify`; one frozen object per algorithm, shared by every call. */
  readonly verify: AlgorithmIdentifier | EcdsaParams | RsaPssParams;
}

/**
 * Every supported algorithm, in the default allow-list order.
 *
 * @internal
 */
export const SUPPORTED_ALGORITHMS: readonly VerifierAlgorithm[] = Object.freeze([
  'ES256',
  'EdDSA',
  'ES384',
  'RS256',
  'PS256',
]);

/**
 * Profile of each supported algorithm.
 *
 * @internal
 */
export const ALGORITHMS: Readonly<Record<VerifierAlgorithm, AlgorithmProfile>> = Object.freeze({
  ES256: profile('ES256', 'EC', 'P-256', { name: 'ECDSA', hash: 'SHA-256' }),
  ES384: profile('ES384', 'EC', 'P-384', { name: 'ECDSA', hash: 'SHA-384' }),
  EdDSA: profile('EdDSA', 'OKP', 'Ed25519', { name: 'Ed25519' }),
  RS256: profile('RS256', 'RSA', undefined, { name: 'RSASSA-PKCS1-v1_5' }),
  // RFC 7518 §3.5: the PSS salt is as long as the hash output.
  PS256: profile('PS256', 'RSA', undefined, { name: 'RSA-PSS', saltLength: 32 }),
});

function profile(
  alg: VerifierAlgorithm,
  kty: AlgorithmProfile['kty'],
  crv: string | undefined,
  verify: AlgorithmProfile['verify'],
): AlgorithmProfile {
  return Object.freeze({ alg, kty, crv, verify: Object.freeze(verify) });
}

/**
 * Whether `value` names a supported algorithm. Uses an own-property check so that names such as
 * `toString` or `__proto__` never match.
 *
 * @internal
 */
export function isVerifierAlgorithm(value: unknown): value is VerifierAlgorithm {
  return typeof value === 'string' && Object.hasOwn(ALGORITHMS, value);
}
