import { KitError } from './kit-error.ts';

/**
 * Which check of RFC 9449 §4.3 a DPoP proof failed, carried by {@link KitDpopProofInvalidError}
 * as `check`:
 *
 * - `missing`: no `DPoP` header;
 * - `malformed`: several `DPoP` headers, a value over the size bound (8 KiB), not a compact JWS,
 *   a header or payload that is not a JSON object, or a header with `crit` or `b64`;
 * - `typ`: the header's `typ` is not exactly `dpop+jwt`;
 * - `alg`: `alg` is not in the allow-list (always so for `none` and symmetric algorithms);
 * - `jwk`: no `jwk`, a key with private members or of a symmetric type, a key that does not fit
 *   `alg`, or one that cannot be imported;
 * - `signature`: the signature does not verify with that `jwk`;
 * - `jti`, `htm`, `htu`, `iat`, `ath`: that claim is missing or does not match the request (`iat`
 *   outside the accepted window, `ath` not the SHA-256 of the access token);
 * - `replay`: a proof with the same key and `jti` was accepted before, within the window.
 */
export type DpopProofCheck =
  | 'missing'
  | 'malformed'
  | 'typ'
  | 'alg'
  | 'jwk'
  | 'signature'
  | 'jti'
  | 'htm'
  | 'htu'
  | 'iat'
  | 'ath'
  | 'replay';

/**
 * A DPoP proof (RFC 9449) is missing or failed one of the checks of RFC 9449 §4.3; `check` says
 * which. OAuth answers `invalid_dpop_proof`. The message names the check only, never any part of
 * the proof, the access token or the key.
 *
 * @example
 * ```ts
 * import { KitDpopProofInvalidError } from '@kit/core';
 *
 * try {
 *   await dpop.verify({ proof: request.headers.get('dpop'), method: 'POST', url: tokenUrl });
 * } catch (error) {
 *   if (error instanceof KitDpopProofInvalidError && error.check === 'replay') {
 *     // the same proof was sent twice
 *   }
 * }
 * ```
 */
export class KitDpopProofInvalidError extends KitError {
  static readonly code = 'ERR_DPOP_PROOF_INVALID';

  /** The check that failed. */
  readonly check: DpopProofCheck;

  constructor(check: DpopProofCheck, options?: { cause?: unknown }) {
    super(KitDpopProofInvalidError.code, MESSAGES[check] ?? 'The DPoP proof is not valid.', options);
    this.check = check;
  }
}

const MESSAGES: Readonly<Record<DpopProofCheck, string>> = Object.freeze({
  missing: 'The request has no DPoP proof.',
  malformed: 'The DPoP proof is malformed, or the request has several.',
  typ: 'The DPoP proof header "typ" is not "dpop+jwt".',
  alg: 'The DPoP proof uses an algorithm that is not allowed.',
  jwk: 'The DPoP proof header "jwk" is not a usable public key for its algorithm.',
  signature: 'The DPoP proof signature is not valid.',
  jti: 'The DPoP proof "jti" claim is missing or invalid.',
  htm: 'The DPoP proof "htm" claim does not match the request method.',
  htu: 'The DPoP proof "htu" claim does not match the request URL.',
  iat: 'The DPoP proof "iat" claim is missing or outside the accepted window.',
  ath: 'The DPoP proof "ath" claim does not match the access token.',
  replay: 'The DPoP proof has been used before.',
});

/**
 * The server requires a nonce (RFC 9449 §8 and §9) and the DPoP proof carries none, or not one the
 * server accepts now. Otherwise the proof was valid. OAuth answers `use_dpop_nonce`, with a fresh
 * nonce in the `DPoP-Nonce` response header, and the client retries with a new proof.
 *
 * @example
 * ```ts
 * import { KitDpopNonceRequiredError } from '@kit/core';
 *
 * const error = new KitDpopNonceRequiredError();
 * error.code; // 'ERR_DPOP_NONCE_REQUIRED'
 * ```
 */
export class KitDpopNonceRequiredError extends KitError {
  static readonly code = 'ERR_DPOP_NONCE_REQUIRED';

  constructor(options?: { cause?: unknown }) {
    super(
      KitDpopNonceRequiredError.code,
      'The DPoP proof must carry the nonce the server provided.',
      options,
    );
  }
}
