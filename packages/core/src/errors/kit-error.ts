/**
 * Every code a {@link KitError} can carry. Codes are public API: match on them, not on messages.
 */
export type KitErrorCode =
  | 'ERR_INVALID_OPTIONS'
  | 'ERR_INVALID_INPUT'
  | 'ERR_REFRESH_TOKEN_MALFORMED'
  | 'ERR_REFRESH_TOKEN_INVALID'
  | 'ERR_REFRESH_TOKEN_REUSED'
  | 'ERR_SESSION_EXPIRED'
  | 'ERR_SESSION_REVOKED'
  | 'ERR_SESSION_NOT_FOUND'
  | 'ERR_STORE_UNAVAILABLE'
  | 'ERR_STORE_FAILURE'
  | 'ERR_KEY_INVALID'
  | 'ERR_KEY_NOT_FOUND'
  | 'ERR_KEY_IN_USE'
  | 'ERR_PURGE_IN_PROGRESS'
  | 'ERR_JWT_MALFORMED'
  | 'ERR_JWT_INVALID'
  | 'ERR_JWT_EXPIRED'
  | 'ERR_JWT_REVOKED'
  | 'ERR_JWT_ALG_NOT_ALLOWED'
  | 'ERR_JWT_CLAIM_INVALID'
  | 'ERR_JWKS_NO_MATCHING_KEY'
  | 'ERR_JWKS_FETCH_FAILED'
  | 'ERR_JWKS_INVALID'
  | 'ERR_DPOP_PROOF_INVALID'
  | 'ERR_DPOP_NONCE_REQUIRED';

/**
 * Base class of every error the kit throws. Each subclass carries one code, also readable on the
 * class as a `static code` (`KitRefreshTokenReusedError.code === 'ERR_REFRESH_TOKEN_REUSED'`).
 *
 * Every entry point (`@kit/core`, `@kit/core/verify`, `@kit/core/mikro-orm`, `@kit/core/redis`,
 * `@kit/hono`) throws the same classes, so `instanceof` works whichever entry you import them
 * from. Comparing `code` works even where `instanceof` cannot: when an install holds two copies of
 * `@kit/core`, each has its own classes.
 *
 * @example
 * ```ts
 * import { KitError, KitRefreshTokenReusedError } from '@kit/core';
 *
 * try {
 *   await kit.refresh(token);
 * } catch (error) {
 *   if (error instanceof KitError && error.code === KitRefreshTokenReusedError.code) {
 *     // the session was revoked: ask the user to sign in again
 *   }
 * }
 * ```
 */
export class KitError extends Error {
  /** Stable machine-readable code. */
  readonly code: KitErrorCode;

  constructor(code: KitErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/**
 * Thrown when a factory (for example {@link createAuthKit}) receives options it cannot work with.
 * The message says which option to set and how.
 */
export class KitInvalidOptionsError extends KitError {
  static readonly code = 'ERR_INVALID_OPTIONS';

  constructor(message: string, options?: { cause?: unknown }) {
    super(KitInvalidOptionsError.code, message, options);
  }
}

/**
 * Thrown when an argument of a call (a user id, session data, a duration) is not acceptable.
 */
export class KitInvalidInputError extends KitError {
  static readonly code = 'ERR_INVALID_INPUT';

  constructor(message: string, options?: { cause?: unknown }) {
    super(KitInvalidInputError.code, message, options);
  }
}
