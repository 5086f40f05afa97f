import type { AlgorithmProfile } from './algorithms.ts';
import type { PrepareKey, VerificationKey } from './import-key-set.ts';

/**
 * How a verifier checks one signature. Everything else (parsing, header and claim checks, key
 * selection, JWKS caching) is shared, so both backends accept and reject exactly the same tokens;
 * the differential tests hold them to that.
 *
 * @internal
 */
export interface VerifyBackend {
  /** Runs once per imported key. */
  readonly prepare: PrepareKey;
  /** Whether `signature` is valid for the ASCII `signingInput`; throws count as invalid. */
  verify(
    profile: AlgorithmProfile,
    key: VerificationKey,
    signature: Uint8Array,
    signingInput: string,
  ): boolean | Promise<boolean>;
}

const encoder = new TextEncoder();

/**
 * Web Crypto: `crypto.subtle.verify`, in every runtime.
 *
 * @internal
 */
export const webCryptoBackend: VerifyBackend = Object.freeze({
  prepare: (key: CryptoKey) => key,
  verify: (profile: AlgorithmProfile, key: VerificationKey, signature: Uint8Array, signingInput: string) =>
    crypto.subtle.verify(
      profile.verify,
      key.cryptoKey,
      signature as BufferSource,
      encoder.encode(signingInput),
    ),
});
