import { createDpopProofVerifierWith } from './create-dpop-proof-verifier-with.ts';
import { dpopCrypto } from './node-dpop-crypto.ts';
import type { DpopProofVerifier, DpopProofVerifierOptions } from './types.ts';

/**
 * Creates a DPoP proof verifier (RFC 9449 §4.3). `verify` accepts a proof only if all of these
 * hold, and otherwise rejects with `ERR_DPOP_PROOF_INVALID`, whose `check` names the failed one:
 *
 * - exactly one `DPoP` header (`missing`, `malformed`), at most 8 KiB, a compact JWS whose header
 *   and payload are JSON objects, with no `crit` (`malformed`);
 * - `typ` exactly `dpop+jwt` (`typ`); `alg` in the allow-list, never `none` or symmetric (`alg`);
 * - `jwk` a public EC (P-256, P-384), OKP (Ed25519) or RSA (2048 to 4096 bits) key that fits `alg`:
 *   no private member (`d`, `p`, `q`, `dp`, `dq`, `qi`, `oth`, `k`), not `kty: "oct"`, its own
 *   `alg`, `use` and `key_ops` (when present) allowing this signature (`jwk`);
 * - a valid signature by that key (`signature`);
 * - `jti` a string of 1 to 256 characters (`jti`); `htm` exactly the request method (`htm`); `htu`
 *   the request URL without query and fragment, both normalised (`htu`);
 * - with `nonce` in the request, the proof's `nonce` one of them (`ERR_DPOP_NONCE_REQUIRED`);
 * - `iat` at most `maxAge` + `clockTolerance` in the past and `clockTolerance` in the future
 *   (`iat`);
 * - with `accessToken` in the request, `ath` its base64url SHA-256, compared in constant time
 *   (`ath`);
 * - no proof with the same key and `jti` accepted within the window (`replay`): remembered in
 *   `replayCache` until the proof's `iat` leaves the window, per key thumbprint.
 *
 * It resolves with the key's RFC 7638 thumbprint (`jkt`), which the caller compares with the
 * session's or the access token's (`cnf.jkt`): that binding check is the caller's. Options are
 * checked here, once: a bad one throws `ERR_INVALID_OPTIONS`. No error message carries any part
 * of the proof, the access token or the key.
 *
 * Signatures are checked by the access-token verifier's own code, through `node:crypto` where
 * the runtime has it and Web Crypto elsewhere; a client's key is imported once and kept (up to
 * 1,024 keys) after its first valid proof.
 *
 * Exported by `@kit/core`.
 *
 * @example
 * ```ts
 * import { createDpopProofVerifier, createMemoryDpopReplayCache, KitError } from '@kit/core';
 *
 * const dpop = createDpopProofVerifier({ replayCache: createMemoryDpopReplayCache() });
 *
 * async function proofKey(request: Request): Promise<string | undefined> {
 *   try {
 *     const { jkt } = await dpop.verify({
 *       proof: request.headers.get('dpop'),
 *       method: request.method,
 *       url: 'https://auth.example.com/token', // the public URL, behind a proxy too
 *     });
 *     return jkt;
 *   } catch (error) {
 *     if (error instanceof KitError && error.code === 'ERR_DPOP_PROOF_INVALID') return undefined;
 *     throw error;
 *   }
 * }
 * ```
 */
export function createDpopProofVerifier(options: DpopProofVerifierOptions): DpopProofVerifier {
  return createDpopProofVerifierWith(options, dpopCrypto);
}
