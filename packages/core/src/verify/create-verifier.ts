import {
  type KitError,
  KitInvalidOptionsError,
  type KitJwksInvalidError,
  KitJwtInvalidError,
  KitJwtMalformedError,
} from '../errors.ts';
import { decodeBase64url } from '../util/base64url.ts';
import { type VerifyBackend, webCryptoBackend } from './backend.ts';
import { checkClaims } from './check-claims.ts';
import { type CheckedHeader, checkHeader } from './check-header.ts';
import { decodeJsonSegment } from './decode-segment.ts';
import type { AccessTokenClaims, AccessTokenVerifier, VerifierOptions } from './types.ts';
import {
  type ResolvedVerifierOptions,
  resolveVerifierOptions,
  type VerifierRuntime,
} from './verifier-options.ts';

/**
 * Longest token accepted, in characters (8 KiB). Longer input is refused with `ERR_JWT_MALFORMED`
 * before any parsing, which bounds the work an unauthenticated caller can ask for. Real access
 * tokens are well under 1 KiB.
 *
 * @example
 * ```ts
 * if (header.length > MAX_TOKEN_LENGTH + 7) return c.text('Bad Request', 400);
 * ```
 */
export const MAX_TOKEN_LENGTH = 8192;

/** Size bound of the parsed-header cache; past it the cache is emptied and refilled. */
const HEADER_CACHE_SIZE = 64;

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
 * Every verification is counted in the OpenTelemetry counter `kit.verifications` (`outcome`:
 * `valid` or the error code), every fetch in `kit.jwks.fetches` or `kit.revocations.fetches`; a
 * failed fetch is logged through `logger`, if one is given (see the `telemetry` and `logger`
 * options). Counting adds no wait to a verification.
 *
 * The hot path (key already imported) is a `Map` lookup, a cached header and one signature check:
 * `crypto.subtle.verify` here, `node:crypto` under the package's `node` export condition (same
 * checks, same errors); no key is imported twice.
 *
 * `C` types the claims the issuer's `claims` hook adds: `createVerifier<{ role: 'admin' | 'user' }>(...)`
 * resolves with `AccessTokenClaims & { role: 'admin' | 'user' }`. It is the caller's word, not
 * checked at run time.
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
export function createVerifier<C extends object = AccessTokenClaims>(
  options: VerifierOptions,
): AccessTokenVerifier<C> {
  // `C` is the caller's word for what the issuer's hook adds; signatures are checked, claim types are not.
  return createVerifierWith(options, webCryptoBackend) as AccessTokenVerifier<C>;
}

/**
 * {@link createVerifier} over a given signature backend (Web Crypto, or `node:crypto` on the
 * `node` export condition). Everything but the signature check is shared. `runtime` adds what the
 * entry knows: where to look for `@opentelemetry/api`, or the kit's own report.
 *
 * @internal
 */
export function createVerifierWith(
  options: VerifierOptions,
  backend: VerifyBackend,
  runtime?: VerifierRuntime,
): AccessTokenVerifier {
  const resolved = resolveVerifierOptions(options, backend, runtime);
  const check = createCheck(resolved, backend);
  const counts = resolved.report;
  return async function verifyAccessToken(token: string): Promise<AccessTokenClaims> {
    let claims: AccessTokenClaims;
    try {
      claims = await check(token);
    } catch (error) {
      counts.verification(error);
      throw error;
    }
    counts.verification();
    return claims;
  };
}

/** Every check of one token, in order; rejects with the first that fails. */
function createCheck(
  { issuer, audiences, allowed, clock, toleranceSeconds, keys, revocations }: ResolvedVerifierOptions,
  backend: VerifyBackend,
): (token: string) => Promise<AccessTokenClaims> {
  const headerCache = new Map<string, CheckedHeader>();

  return async function checkToken(token: string): Promise<AccessTokenClaims> {
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
