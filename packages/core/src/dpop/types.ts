import type { Duration } from '../util/duration.ts';
import type { VerifierAlgorithm } from '../verify/algorithms.ts';
import type { DpopReplayCache } from './replay-cache.ts';

/**
 * An asymmetric JWS algorithm a DPoP proof may be signed with: the algorithms the kit verifies
 * access tokens with. `none` and symmetric algorithms are not expressible.
 */
export type DpopAlgorithm = VerifierAlgorithm;

/**
 * Options of {@link createDpopProofVerifier}.
 */
export interface DpopProofVerifierOptions {
  /**
   * Where accepted proofs are remembered, so that none is accepted twice: one per process
   * (`createMemoryDpopReplayCache`) for a single instance, PostgreSQL or Redis for several.
   */
  replayCache: DpopReplayCache;
  /**
   * Allow-list of proof algorithms (the authorization server metadata's
   * `dpop_signing_alg_values_supported`).
   * @default ['ES256', 'EdDSA', 'ES384', 'RS256', 'PS256']
   */
  algorithms?: readonly DpopAlgorithm[];
  /**
   * How old a proof may be: its `iat` at most this long before now (plus `clockTolerance`).
   * At most one hour.
   * @default 60 (seconds)
   */
  maxAge?: Duration;
  /**
   * Leeway for the client's clock: an `iat` up to this far in the future is accepted, and a proof
   * this much older than `maxAge`. At most five minutes.
   * @default 5 (seconds)
   */
  clockTolerance?: Duration;
  /**
   * Current time in milliseconds since the epoch.
   * @default Date.now
   */
  clock?: () => number;
}

/**
 * One request to check a DPoP proof against.
 */
export interface DpopProofRequest {
  /**
   * The request's `DPoP` header: its value, or the list of its values where the server keeps
   * repeated headers apart. No value, an empty one, or several (a list of two, or values joined
   * with a comma as `Headers.get` does) are refused.
   */
  proof: string | readonly string[] | null | undefined;
  /** The request method, compared exactly with the proof's `htm` (`'POST'`, `'GET'`...). */
  method: string;
  /**
   * The request URL as the client addressed it: behind a proxy, the public URL (scheme, host and
   * port the client used), not the one the proxy forwarded to. Compared with the proof's `htu`
   * without query and fragment, after RFC 3986 normalisation (scheme and host case, default
   * ports, dot segments, percent-encoding).
   */
  url: string | URL;
  /**
   * The access token presented with the proof (`Authorization: DPoP <token>`), for a request to a
   * protected resource: the proof's `ath` must then be its base64url SHA-256. Leave it out at the
   * token endpoint.
   */
  accessToken?: string;
  /**
   * The nonces the server accepts now (RFC 9449 §8, §9): the proof's `nonce` must be one of them,
   * otherwise the check fails with `ERR_DPOP_NONCE_REQUIRED`. Leave it out when the server does
   * not use nonces.
   */
  nonce?: string | readonly string[];
}

/**
 * What a valid DPoP proof established.
 */
export interface DpopProof {
  /**
   * RFC 7638 thumbprint (SHA-256, base64url) of the proof's public key: what a token bound to the
   * key carries as `cnf.jkt`, and what a bound session keeps.
   */
  jkt: string;
  /** The proof's `jti`. */
  jti: string;
  /** The proof's `iat`, in seconds since the epoch. */
  iat: number;
  /** The algorithm the proof was signed with. */
  alg: DpopAlgorithm;
  /** The proof's `nonce`, when it carries one. */
  nonce?: string;
}

/**
 * Checks DPoP proofs (RFC 9449 §4.3). Made by {@link createDpopProofVerifier}.
 */
export interface DpopProofVerifier {
  /**
   * Resolves with what the proof established, or rejects with `ERR_DPOP_PROOF_INVALID` (its
   * `check` says which check failed), `ERR_DPOP_NONCE_REQUIRED`, `ERR_INVALID_INPUT` (a `method`,
   * `url`, `accessToken` or `nonce` that is not usable: the caller's mistake, not the client's), or
   * the replay cache's error (`ERR_STORE_UNAVAILABLE`...).
   */
  verify(request: DpopProofRequest): Promise<DpopProof>;
  /** The allow-list, in the order given: for `algs` in a `WWW-Authenticate: DPoP` challenge and for metadata. */
  readonly algorithms: readonly DpopAlgorithm[];
}
