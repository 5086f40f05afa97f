import type { KitLogger } from '../telemetry/logger.ts';
import type { TelemetryOption } from '../telemetry/resolve-telemetry.ts';
import type { Duration } from '../util/duration.ts';
import type { VerifierAlgorithm } from './algorithms.ts';

/**
 * A JSON Web Key as found in a JWKS (jose's `JWK` and the DOM's `JsonWebKey` fit). Only the
 * public members are ever read; private members (`d`, `p`, `q`, ...) are ignored.
 */
export interface VerifierJwk {
  kty?: string;
  kid?: string;
  alg?: string;
  use?: string;
  key_ops?: readonly string[];
  crv?: string;
  x?: string;
  y?: string;
  n?: string;
  e?: string;
  /** Private and other members: accepted, never read. */
  d?: string;
  p?: string;
  q?: string;
  dp?: string;
  dq?: string;
  qi?: string;
  k?: string;
  ext?: boolean;
  x5c?: readonly string[];
  x5t?: string;
  'x5t#S256'?: string;
  x5u?: string;
}

/**
 * Options of `createVerifier` (imported from `@kit/core/verify`). Set exactly one of `jwksUrl` and
 * `jwks`.
 */
export interface VerifierOptions {
  /** Expected `iss`, compared exactly. */
  issuer: string;
  /** Accepted audiences: the token's `aud` (a string or an array) must contain one of them. */
  audience: string | readonly string[];
  /** URL (`https:` or `http:`) of the issuer's JWKS, for example `https://auth.example.com/.well-known/jwks.json`. */
  jwksUrl?: string;
  /** A JWK set held locally, instead of `jwksUrl`. Private members are ignored. */
  jwks?: { keys: readonly VerifierJwk[] };
  /**
   * Allow-list of algorithms. Symmetric algorithms (`HS*`) and `none` are refused here.
   * @default ['ES256', 'EdDSA', 'ES384', 'RS256', 'PS256']
   */
  algorithms?: readonly VerifierAlgorithm[];
  /**
   * Leeway for `exp`, `nbf` and `iat`, to absorb clock skew between issuer and verifier.
   * @default 5 (seconds)
   */
  clockTolerance?: Duration;
  /**
   * Minimum time between two fetches of `jwksUrl`, whatever triggers them (a stale set, or a
   * token whose `kid` is unknown, as after a key rotation). `0` disables it.
   * @default '30s'
   */
  cooldown?: Duration;
  /**
   * How long a fetched JWKS stays fresh when its response has no `Cache-Control` max-age.
   * @default '5m'
   */
  cacheMaxAge?: Duration;
  /**
   * `fetch` used for `jwksUrl`.
   * @default globalThis.fetch
   */
  fetch?: typeof fetch;
  /**
   * Time limit of one JWKS fetch, body included.
   * @default '5s'
   */
  timeout?: Duration;
  /**
   * Current time in milliseconds since the epoch, for `exp`/`nbf`/`iat` and for cache timing.
   * @default Date.now
   */
  clock?: () => number;
  /**
   * URL of the issuer's revocation list (`kit.revocations()`, served by the HTTP layer). When
   * set, a token whose `sid` names a session revoked while the token may still be live is
   * rejected with `ERR_JWT_REVOKED`, at most `revocationsInterval` after the revocation.
   */
  revocationsUrl?: string;
  /**
   * The longest a revocation list is used, from when the server read it (or the fetch started, if
   * earlier): the bound on how long a revoked session's tokens still pass. There is no background
   * refetch: the first verification that finds the list past it fetches a new one.
   * @default 10 (seconds)
   */
  revocationsInterval?: Duration;
  /**
   * What happens when the list cannot be refreshed in time. `'open'`: tokens are checked against
   * the last list held (or none), so availability wins and new revocations are not seen until a
   * fetch succeeds. `'closed'`: every verification rejects with `ERR_JWKS_FETCH_FAILED` until a
   * fetch succeeds, so the bound always holds.
   * @default 'open'
   */
  revocationsFailure?: 'open' | 'closed';
  /**
   * Where the verifier logs a failed fetch of `jwksUrl` or `revocationsUrl`: one warn line with the
   * error's `code`, the `outcome` (`http_5xx`, `ERR_JWKS_FETCH_FAILED`...), the HTTP `status` when
   * there was one, and the URL without its query. At most one line per URL per 10 s; the next one
   * says how many failures it left out (`suppressed`). Never a token, a key or an error message.
   * @default none: nothing is written
   */
  logger?: KitLogger;
  /**
   * OpenTelemetry: the counters `kit.verifications` (`outcome`: `valid` or the error code),
   * `kit.jwks.fetches` and `kit.revocations.fetches` (`outcome`: `ok`, `not_modified`, `http_4xx`,
   * `ERR_JWKS_FETCH_FAILED`...), under the instrumentation scope `@kit/core/verify`. `false` turns
   * reporting off. Left out, the verifier on Node, Bun and Deno (the `node` export condition) imports
   * `@opentelemetry/api` at run time if it is installed and reports to the providers registered with
   * it; in Workers and browsers it reports nothing, since a bundle holds only what is imported by
   * name: pass the API namespace (`import * as otel from '@opentelemetry/api'`) or
   * `{ api, meterProvider }` there.
   * @default `@opentelemetry/api` when it can be imported (Node, Bun, Deno); none elsewhere
   */
  telemetry?: TelemetryOption;
}

/**
 * Claims of a verified access token (RFC 9068 profile). Every listed claim has been checked: the
 * strings are non-empty, the dates are numbers.
 */
export interface AccessTokenClaims {
  iss: string;
  sub: string;
  aud: string | string[];
  exp: number;
  iat: number;
  nbf?: number;
  jti: string;
  /** Id of the refresh session the token was minted for. */
  sid: string;
  client_id: string;
  /** Claims the issuer's hook added. */
  [claim: string]: unknown;
}

/**
 * Verifies one access token: resolves with its claims, or rejects with a {@link KitError}. `C` adds
 * the claims the issuer's hook puts in (`{ role: string }`, or a whole claims type: the result is
 * {@link AccessTokenClaims} `& C` either way).
 */
export type AccessTokenVerifier<C extends object = AccessTokenClaims> = (
  token: string,
) => Promise<AccessTokenClaims & C>;
