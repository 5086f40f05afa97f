import type { DpopReplayCache } from '../dpop/replay-cache.ts';
import type { DpopAlgorithm } from '../dpop/types.ts';
import type { Duration } from '../util/duration.ts';
import type { AccessTokenClaims } from './types.ts';

/**
 * How a {@link RequestVerifier} checks the DPoP proofs (RFC 9449) of requests that present their
 * access token with `Authorization: DPoP <token>`.
 *
 * **Replays.** A proof is accepted once per `replayCache`. What that guarantees depends on where
 * the cache lives:
 *
 * - left out: a cache in this process's memory (`createMemoryDpopReplayCache()`). On a server
 *   with one process, every replay within the proof window is caught. At the edge, the process is
 *   an isolate: a Worker runs many, each with its own cache, so a replay is caught only when it
 *   reaches the isolate that accepted the proof; one sent to another isolate (another location,
 *   or a second isolate of the same one) is accepted, at most until the proof's `iat` is `maxAge`
 *   plus `clockTolerance` old (65 s by default);
 * - a shared cache (`createRedisDpopReplayCache`, `createMikroOrmDpopReplayCache`, or your own
 *   {@link DpopReplayCache} over a store every instance reaches): every replay within the window is
 *   caught, at the cost of one call to that store per DPoP request (from the edge, a network round
 *   trip);
 * - `false`: nothing is remembered, and a captured proof can be replayed with its token, to the
 *   same method and URL, until its `iat` leaves the window. Only the window bounds replays: choose
 *   it knowingly, with a short `maxAge`.
 *
 * In every case a proof is bound to one method, one URL and one access token (`htm`, `htu`,
 * `ath`), and only the holder of the private key can make a new one.
 *
 * @example
 * ```ts
 * import { createRequestVerifier, createVerifier } from '@kit/core/verify';
 *
 * const requests = createRequestVerifier({
 *   verify: createVerifier({ issuer, audience, jwksUrl }),
 *   dpop: { maxAge: 30 }, // a replay cache in this process's memory
 * });
 * ```
 */
export interface RequestDpopOptions {
  /**
   * Where accepted proofs are remembered, or `false` for nowhere (replays bounded by the window
   * only; see above).
   * @default a cache in this process's memory (per isolate at the edge)
   */
  replayCache?: DpopReplayCache | false;
  /**
   * Allow-list of proof algorithms, also sent as `algs` in `WWW-Authenticate: DPoP` challenges.
   * @default ['ES256', 'EdDSA', 'ES384', 'RS256', 'PS256']
   */
  algorithms?: readonly DpopAlgorithm[];
  /**
   * How old a proof may be: its `iat` at most this long before now (plus `clockTolerance`). At
   * most one hour.
   * @default 60 (seconds)
   */
  maxAge?: Duration;
  /**
   * Leeway for the client's clock. At most five minutes.
   * @default 5 (seconds)
   */
  clockTolerance?: Duration;
  /**
   * Current time in milliseconds since the epoch, for the proof's `iat`.
   * @default Date.now
   */
  clock?: () => number;
}

/**
 * Options of {@link createRequestVerifier}.
 */
export interface RequestVerifierOptions<C extends AccessTokenClaims = AccessTokenClaims> {
  /**
   * Verifies the access token: the function `createVerifier` returns, or the kit's
   * `verifyAccessToken`.
   */
  verify: (token: string) => Promise<C>;
  /**
   * DPoP proofs: their options, or `false` to accept the `Bearer` scheme only (a `DPoP`
   * Authorization header is then refused as malformed). A token bound to a key (`cnf`) is refused
   * as `Bearer` either way.
   * @default DPoP accepted, proofs remembered in this process's memory
   */
  dpop?: RequestDpopOptions | false;
}

/**
 * The parts of an HTTP request a {@link RequestVerifier} reads.
 */
export interface VerifiableRequest {
  /** The `Authorization` header: `Bearer <token>` or `DPoP <token>` (scheme in any case). */
  authorization: string | null | undefined;
  /**
   * The `DPoP` header: its value, or the list of its values where the server keeps repeated
   * headers apart. Read with the `DPoP` scheme only.
   */
  dpop?: string | readonly string[] | null | undefined;
  /** The request method, compared with the proof's `htm`. */
  method: string;
  /**
   * The request URL as the client addressed it: behind a proxy, the public URL (scheme, host and
   * port the client used). Compared with the proof's `htu` without query and fragment.
   */
  url: string | URL;
}

/**
 * The scheme of an `Authorization` header a {@link RequestVerifier} accepts: `'Bearer'` (RFC 6750)
 * or `'DPoP'` (RFC 9449 §7.1, a token bound to a key, sent with a proof). Exported by
 * `@kit/core/verify`.
 *
 * @example
 * ```ts
 * import type { AuthorizationScheme } from '@kit/core/verify';
 *
 * const { scheme }: { scheme: AuthorizationScheme } = await requests.verify(request);
 * if (scheme === 'DPoP') console.log('a sender-constrained token');
 * ```
 */
export type AuthorizationScheme = 'Bearer' | 'DPoP';

/**
 * What a {@link RequestVerifier} established about a request.
 */
export interface VerifiedRequest<C extends AccessTokenClaims = AccessTokenClaims> {
  /** The access token's verified claims. */
  claims: C;
  /** How the token was presented. */
  scheme: AuthorizationScheme;
  /**
   * With the `DPoP` scheme: the RFC 7638 thumbprint of the key that signed the proof, equal to the
   * token's `cnf.jkt`.
   */
  jkt?: string;
}

/**
 * Verifies the credentials of HTTP requests: `Authorization: Bearer <token>`, or
 * `Authorization: DPoP <token>` with a `DPoP` proof. Made by {@link createRequestVerifier}.
 */
export interface RequestVerifier<C extends AccessTokenClaims = AccessTokenClaims> {
  /**
   * Resolves with the token's claims (and the proof key's thumbprint with DPoP), or rejects with
   * the `KitError` of the first check that failed; see {@link createRequestVerifier}.
   * A Fetch API `Request` is read as is: its URL is taken as the public one (right in a Worker,
   * not behind a proxy that rewrites the URL).
   */
  verify(request: VerifiableRequest | Request): Promise<VerifiedRequest<C>>;
  /**
   * The DPoP proof algorithms accepted, in the order given (for the `algs` of a
   * `WWW-Authenticate: DPoP` challenge); empty with `dpop: false`.
   */
  readonly algorithms: readonly DpopAlgorithm[];
}
