import {
  KitError,
  KitInvalidOptionsError,
  KitJwksInvalidError,
  KitJwtAlgorithmNotAllowedError,
  KitJwtClaimInvalidError,
  KitJwtExpiredError,
  KitJwtInvalidError,
  KitJwtMalformedError,
} from '../errors.ts';
import { decodeBase64url } from '../util/base64url.ts';
import { type Duration, toSeconds } from '../util/duration.ts';
import {
  ALGORITHMS,
  type AlgorithmProfile,
  SUPPORTED_ALGORITHMS,
  type VerifierAlgorithm,
} from './algorithms.ts';
import { type VerifyBackend, webCryptoBackend } from './backend.ts';
import { decodeJsonSegment } from './decode-segment.ts';
import type { KeySource } from './import-key-set.ts';
import { LocalKeySet } from './local-key-set.ts';
import { RemoteKeySet } from './remote-key-set.ts';
import { RevocationList } from './revocation-list.ts';

/**
 * A JSON Web Key as found in a JWKS (jose's `JWK` and the DOM's `JsonWebKey` fit). Only the
 * public members are ever read; private members (`d`, `p`, `q`, ...) are ignored.
 *
 * Exported from `@kit/core/verify`.
 *
 * @example
 * ```ts
 * const key: VerifierJwk = { kty: 'EC', crv: 'P-256', x: '...', y: '...', kid: 'key-1', alg: 'ES256', use: 'sig' };
 * ```
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
 * Options of {@link createVerifier}. Set exactly one of `jwksUrl` and `jwks`.
 *
 * Exported from `@kit/core/verify`.
 *
 * @example
 * ```ts
 * const options: VerifierOptions = {
 *   issuer: 'https://auth.example.com',
 *   audience: 'https://api.example.com',
 *   jwksUrl: 'https://auth.example.com/.well-known/jwks.json',
 * };
 * ```
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
}

/**
 * Claims of a verified access token (RFC 9068 profile). Every listed claim has been checked: the
 * strings are non-empty, the dates are numbers.
 *
 * Exported from `@kit/core/verify`.
 *
 * @example
 * ```ts
 * const claims: AccessTokenClaims = await verify(token);
 * console.log(claims.sub, claims.sid);
 * ```
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
 * Verifies one access token: resolves with its claims, or rejects with a {@link KitError}.
 *
 * Exported from `@kit/core/verify`.
 *
 * @example
 * ```ts
 * const verify: AccessTokenVerifier = createVerifier({ issuer, audience, jwksUrl });
 * ```
 */
export type AccessTokenVerifier = (token: string) => Promise<AccessTokenClaims>;

/**
 * Longest token accepted, in characters (8 KiB). Longer input is refused with `ERR_JWT_MALFORMED`
 * before any parsing, which bounds the work an unauthenticated caller can ask for. Real access
 * tokens are well under 1 KiB.
 *
 * Exported from `@kit/core/verify`.
 *
 * @example
 * ```ts
 * if (header.length > MAX_TOKEN_LENGTH + 7) return c.text('Bad Request', 400);
 * ```
 */
export const MAX_TOKEN_LENGTH = 8192;

const DEFAULTS = {
  clockTolerance: 5,
  cooldown: 30,
  cacheMaxAge: 300,
  timeout: 5,
} as const;

/** Size bound of the parsed-header cache; past it the cache is emptied and refilled. */
const HEADER_CACHE_SIZE = 64;

/** A protected header that passed every check; cached by its encoded form. */
interface CheckedHeader {
  readonly kid: string;
  readonly profile: AlgorithmProfile;
}

/**
 * Creates an access-token verifier. Runs in every Web Crypto runtime (Node, Deno, Bun, Cloudflare
 * Workers, browsers): it uses `jose` and Web APIs only.
 *
 * The returned function accepts a token only if all of these hold, and otherwise rejects with a
 * {@link KitError} whose `code` says why:
 *
 * - a compact JWS of at most 8 KiB whose header and payload are JSON objects
 *   (`ERR_JWT_MALFORMED`);
 * - `alg` in the allow-list (`ERR_JWT_ALG_NOT_ALLOWED`: always for `none` and `HS*`);
 * - no `crit` header, `typ` is `at+jwt` or `application/at+jwt` in any case, `kid` present, valid
 *   signature (`ERR_JWT_INVALID`);
 * - `kid` selects a key of the JWKS that fits `alg`: a key with `alg` set only verifies that
 *   algorithm, an EC key never verifies RS256, a key whose `use` is not `sig` is ignored
 *   (`ERR_JWKS_NO_MATCHING_KEY`, `ERR_JWKS_FETCH_FAILED`, `ERR_JWKS_INVALID`);
 * - `iss` equals `issuer`, `aud` contains one of `audience`, `nbf` (if present) and `iat` are not
 *   in the future, `sub`, `jti`, `sid` and `client_id` are non-empty strings
 *   (`ERR_JWT_CLAIM_INVALID`, with `claim`);
 * - `exp` has not passed (`ERR_JWT_EXPIRED`).
 *
 * Options are checked once, here: a bad option throws {@link KitInvalidOptionsError} (and a `jwks`
 * without a `keys` array throws {@link KitJwksInvalidError}).
 *
 * A `jwksUrl` is fetched on the first verification and cached for its `Cache-Control` max-age
 * (`no-store`/`no-cache` count as 0; at most 24 h; `cacheMaxAge` without a header). A stale set is
 * refetched before its next use. Fetches never happen more than once per `cooldown` (30 s), which
 * also limits the refetch an unknown `kid` triggers; concurrent verifications share one fetch;
 * a failed or invalid refetch (non-200, not JSON, no usable key, over 1 MiB) never replaces the
 * keys already held, which keep working.
 *
 * With `revocationsUrl`, a token whose `sid` is on the issuer's revocation list is rejected with
 * `ERR_JWT_REVOKED`, at most `revocationsInterval` (10 s) after the revocation; see
 * `docs/edge.md` for the exact guarantee and the failure modes.
 *
 * The hot path (key already imported) is a `Map` lookup, a cached header and one signature check:
 * `crypto.subtle.verify` here, `node:crypto` under the package's `node` export condition (same
 * checks, same errors); no key is imported twice.
 *
 * Exported from `@kit/core/verify`.
 *
 * @example
 * ```ts
 * import { createVerifier, KitError } from '@kit/core/verify';
 *
 * const verify = createVerifier({
 *   issuer: 'https://auth.example.com',
 *   audience: 'https://api.example.com',
 *   jwksUrl: 'https://auth.example.com/.well-known/jwks.json',
 * });
 *
 * try {
 *   const claims = await verify(token);
 *   console.log(claims.sub);
 * } catch (error) {
 *   if (error instanceof KitError && error.code === 'ERR_JWT_EXPIRED') {
 *     // refresh the token and retry
 *   }
 * }
 * ```
 */
export function createVerifier(options: VerifierOptions): AccessTokenVerifier {
  return createVerifierWith(options, webCryptoBackend);
}

/**
 * {@link createVerifier} over a given signature backend (Web Crypto, or `node:crypto` on the
 * `node` export condition). Everything but the signature check is shared.
 *
 * @internal
 */
export function createVerifierWith(options: VerifierOptions, backend: VerifyBackend): AccessTokenVerifier {
  if (typeof options !== 'object' || options === null) {
    throw new KitInvalidOptionsError(
      'createVerifier needs an options object with `issuer`, `audience` and `jwksUrl` or `jwks`.',
    );
  }
  const issuer = checkIssuer(options.issuer);
  const audiences = checkAudience(options.audience);
  const allowed = checkAlgorithms(options.algorithms);
  const clock = checkFunction(options.clock, 'clock') ?? Date.now;
  const toleranceSeconds = duration(options.clockTolerance, 'clockTolerance', DEFAULTS.clockTolerance, true);
  const keys = createKeySource(options, allowed, clock, backend);
  const revocations = createRevocationList(options, clock);
  const headerCache = new Map<string, CheckedHeader>();

  return async function verifyAccessToken(token: string): Promise<AccessTokenClaims> {
    // Bound the work an attacker can ask for before anything is parsed.
    if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) throw new KitJwtMalformedError();
    const dot1 = token.indexOf('.');
    const dot2 = dot1 < 0 ? -1 : token.indexOf('.', dot1 + 1);
    // Exactly three segments (compact JWS; a JWE has five). The header and payload must not be
    // empty; an empty signature is left to fail later, so that an unsecured `alg: "none"` token is
    // reported as the disallowed algorithm it is.
    if (dot1 < 1 || dot2 < 0 || dot2 === dot1 + 1 || token.includes('.', dot2 + 1)) {
      throw new KitJwtMalformedError();
    }
    const encodedHeader = token.slice(0, dot1);
    // Headers repeat from token to token, so a header that passed every check before is not
    // parsed again. Only headers of tokens with a valid signature enter the cache, so nobody can
    // fill it with junk; the checks depend on nothing but the header text and fixed options.
    const cached = headerCache.get(encodedHeader);
    const header = cached ?? checkHeader(encodedHeader, allowed);
    const now = clock();
    // Fail closed: with a NaN clock every `exp` comparison would be false, i.e. never expired.
    if (!Number.isFinite(now))
      throw new KitInvalidOptionsError('The `clock` option returned a value that is not a time.');
    // Decoded before any key lookup, so a garbage signature cannot trigger a JWKS fetch.
    const signature = decodeBase64url(token.slice(dot2 + 1));
    if (signature === undefined) throw new KitJwtMalformedError();

    const profile = header.profile;
    const key = keys.peek(header.kid, profile.alg, now) ?? (await keys.resolve(header.kid, profile.alg));
    let valid: boolean;
    try {
      const result = backend.verify(profile, key, signature, token.slice(0, dot2));
      valid = typeof result === 'boolean' ? result : await result;
    } catch (cause) {
      throw new KitJwtInvalidError(undefined, { cause });
    }
    if (!valid) throw new KitJwtInvalidError();
    if (cached === undefined) {
      if (headerCache.size >= HEADER_CACHE_SIZE) headerCache.clear();
      headerCache.set(encodedHeader, header);
    }

    // The payload is parsed only once the signature proved who wrote it.
    const claims = decodeJsonSegment(token.slice(dot1 + 1, dot2));
    if (claims === undefined) throw new KitJwtMalformedError();
    checkClaims(claims, issuer, audiences, Math.floor(now / 1000), toleranceSeconds);
    if (revocations !== undefined) {
      const pending = revocations.check(claims.sid as string, now);
      if (pending !== undefined) await pending;
    }
    return claims as AccessTokenClaims;
  };
}

/** Parses and checks a protected header. Throws a {@link KitError}; never quotes the header. */
function checkHeader(encodedHeader: string, allowed: ReadonlyMap<string, AlgorithmProfile>): CheckedHeader {
  const header = decodeJsonSegment(encodedHeader);
  if (header === undefined) throw new KitJwtMalformedError();
  const alg = header.alg;
  if (typeof alg !== 'string') throw new KitJwtMalformedError();
  // The allow-list is the first defence against `none`, `HS*` with a public key as the secret,
  // and every other algorithm the issuer does not use. A Map lookup: `alg: "__proto__"` finds
  // nothing.
  const profile = allowed.get(alg);
  if (profile === undefined) throw new KitJwtAlgorithmNotAllowedError();
  // RFC 7515 §4.1.11: a `crit` extension we do not implement must make the token invalid; we
  // implement none. `b64: false` (RFC 7797) would change what is signed; it needs `crit`, and
  // anything other than the default is refused outright.
  if (header.crit !== undefined) {
    throw new KitJwtInvalidError(
      'The access token has a critical header parameter this verifier does not support.',
    );
  }
  if (header.b64 !== undefined && header.b64 !== true) throw new KitJwtInvalidError();
  // RFC 9068 §4 / RFC 8725 §3.11: explicit typing keeps ID tokens, logout tokens and other JWTs
  // signed by the same keys from being accepted as access tokens.
  const typ = header.typ;
  if (typeof typ !== 'string' || !isAccessTokenType(typ)) {
    throw new KitJwtInvalidError('The access token header "typ" is not "at+jwt".');
  }
  // Keys come only from the configured JWKS, selected by `kid`. Headers that carry or point at a
  // key (`jwk`, `jku`, `x5u`, `x5c`) are ignored: trusting them would let anyone sign.
  const kid = header.kid;
  if (typeof kid !== 'string' || kid === '') {
    throw new KitJwtInvalidError('The access token header has no "kid".');
  }
  return { kid, profile };
}

function isAccessTokenType(typ: string): boolean {
  // RFC 7515 §4.1.9: media type names are case-insensitive and `application/` may be omitted.
  const value = typ.toLowerCase();
  return value === 'at+jwt' || value === 'application/at+jwt';
}

/** Registered and RFC 9068 claims. The order of the checks is stable and part of the tests. */
function checkClaims(
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

// ---------------------------------------------------------------------------------------------
// Options, checked once when the factory runs.

function checkIssuer(issuer: unknown): string {
  if (typeof issuer !== 'string' || issuer === '') {
    throw new KitInvalidOptionsError(
      'Set `issuer` to the exact `iss` your tokens carry, for example "https://auth.example.com".',
    );
  }
  return issuer;
}

function checkAudience(audience: unknown): ReadonlySet<string> {
  const list = typeof audience === 'string' ? [audience] : audience;
  if (
    !Array.isArray(list) ||
    list.length === 0 ||
    list.some((value) => typeof value !== 'string' || value === '')
  ) {
    throw new KitInvalidOptionsError(
      'Set `audience` to the audience of this API (a non-empty string, or an array of them), for example "https://api.example.com".',
    );
  }
  return new Set(list as string[]);
}

function checkAlgorithms(algorithms: unknown): ReadonlyMap<string, AlgorithmProfile> {
  const list = algorithms ?? SUPPORTED_ALGORITHMS;
  if (!Array.isArray(list) || list.length === 0) {
    throw new KitInvalidOptionsError(
      `Set \`algorithms\` to a non-empty array of ${SUPPORTED_ALGORITHMS.join(', ')}, or leave it out to allow all of them.`,
    );
  }
  const allowed = new Map<string, AlgorithmProfile>();
  for (const alg of list as unknown[]) {
    if (typeof alg === 'string' && (alg.toLowerCase() === 'none' || /^HS\d+$/i.test(alg))) {
      throw new KitInvalidOptionsError(
        `\`algorithms\` may not contain "${alg}": access tokens are verified with public keys only, never with a shared secret or no signature.`,
      );
    }
    if (typeof alg !== 'string' || !Object.hasOwn(ALGORITHMS, alg)) {
      throw new KitInvalidOptionsError(
        `\`algorithms\` may only contain ${SUPPORTED_ALGORITHMS.join(', ')} (got ${JSON.stringify(String(alg))}).`,
      );
    }
    allowed.set(alg, ALGORITHMS[alg as VerifierAlgorithm]);
  }
  return allowed;
}

function checkFunction<T>(value: T | undefined, name: string): T | undefined {
  if (value !== undefined && typeof value !== 'function') {
    throw new KitInvalidOptionsError(`\`${name}\` must be a function (or left out for the default).`);
  }
  return value;
}

function duration(value: unknown, name: string, fallback: number, allowZero: boolean): number {
  if (value === undefined) return fallback;
  try {
    return toSeconds(value, name, { allowZero });
  } catch (cause) {
    const message = cause instanceof KitError ? cause.message : `\`${name}\` is not a valid duration.`;
    throw new KitInvalidOptionsError(`Set \`${name}\` to a duration: ${message}`, { cause });
  }
}

function createKeySource(
  options: VerifierOptions,
  allowed: ReadonlyMap<string, AlgorithmProfile>,
  clock: () => number,
  backend: VerifyBackend,
): KeySource {
  const { jwks, jwksUrl } = options;
  if ((jwks === undefined) === (jwksUrl === undefined)) {
    throw new KitInvalidOptionsError(
      'Set exactly one of `jwksUrl` (the issuer\'s JWKS URL, e.g. "https://auth.example.com/.well-known/jwks.json") and `jwks` (a local key set).',
    );
  }
  // Validated even when unused, so that a typo fails now rather than when switching to a URL.
  const cooldown = duration(options.cooldown, 'cooldown', DEFAULTS.cooldown, true);
  const cacheMaxAge = duration(options.cacheMaxAge, 'cacheMaxAge', DEFAULTS.cacheMaxAge, true);
  const timeout = duration(options.timeout, 'timeout', DEFAULTS.timeout, false);
  const customFetch = checkFunction(options.fetch, 'fetch');

  if (jwks !== undefined) {
    if (typeof jwks !== 'object' || jwks === null) {
      throw new KitInvalidOptionsError('Set `jwks` to a JWK set object: `{ keys: [...] }`.');
    }
    if (!Array.isArray(jwks.keys)) {
      throw new KitJwksInvalidError('The `jwks` option is not a JWK set: it needs a `keys` array.');
    }
    return new LocalKeySet(jwks.keys, allowed, backend.prepare);
  }

  let url: URL;
  try {
    url = new URL(jwksUrl as string);
  } catch (cause) {
    throw new KitInvalidOptionsError("Set `jwksUrl` to an absolute http(s) URL of the issuer's JWKS.", {
      cause,
    });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new KitInvalidOptionsError('`jwksUrl` must be an http: or https: URL.');
  }
  if (customFetch === undefined && typeof globalThis.fetch !== 'function') {
    throw new KitInvalidOptionsError('This runtime has no global `fetch`: pass one as the `fetch` option.');
  }
  return new RemoteKeySet({
    url: url.href,
    allowed,
    // Looked up at call time and called on `globalThis`: a detached `fetch` throws "Illegal
    // invocation" in browsers and workers.
    fetch: customFetch ?? ((input, init) => globalThis.fetch(input, init)),
    clock,
    timeoutMs: timeout * 1000,
    cooldownMs: cooldown * 1000,
    cacheMaxAgeMs: cacheMaxAge * 1000,
    prepare: backend.prepare,
  });
}

function createRevocationList(options: VerifierOptions, clock: () => number): RevocationList | undefined {
  const interval = duration(options.revocationsInterval, 'revocationsInterval', 10, false);
  const failure = options.revocationsFailure ?? 'open';
  if (failure !== 'open' && failure !== 'closed') {
    throw new KitInvalidOptionsError("Set `revocationsFailure` to 'open' or 'closed'.");
  }
  if (options.revocationsUrl === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(options.revocationsUrl);
  } catch (cause) {
    throw new KitInvalidOptionsError(
      "Set `revocationsUrl` to the absolute http(s) URL of the issuer's revocation list.",
      {
        cause,
      },
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new KitInvalidOptionsError('`revocationsUrl` must be an http: or https: URL.');
  }
  const customFetch = checkFunction(options.fetch, 'fetch');
  const timeout = duration(options.timeout, 'timeout', DEFAULTS.timeout, false);
  return new RevocationList({
    url: url.href,
    fetch: customFetch ?? ((input, init) => globalThis.fetch(input, init)),
    clock,
    intervalMs: interval * 1000,
    failure,
    timeoutMs: timeout * 1000,
  });
}
