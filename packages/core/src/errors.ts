/**
 * Errors of the kit. Every error is a {@link KitError} with a stable `code`: codes are public API
 * (match on them), messages are not. No message ever contains a token, a secret, a hash or key
 * material: they are safe to log.
 *
 * Exported from `@kit/core` and `@kit/core/verify`.
 *
 * @module
 */

/**
 * Every code a {@link KitError} can carry. Codes are public API: match on them, not on messages.
 *
 * @example
 * ```ts
 * const retryable = (code: KitErrorCode) => code === 'ERR_STORE_UNAVAILABLE';
 * ```
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
  | 'ERR_JWKS_INVALID';

/**
 * Base class of every error the kit throws.
 *
 * @example
 * ```ts
 * import { KitError } from '@kit/core';
 *
 * try {
 *   await kit.refresh(token);
 * } catch (error) {
 *   if (error instanceof KitError && error.code === 'ERR_REFRESH_TOKEN_REUSED') {
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
 *
 * @example
 * ```ts
 * createAuthKit({ issuer: 'not a url' } as never); // throws KitInvalidOptionsError
 * ```
 */
export class KitInvalidOptionsError extends KitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_INVALID_OPTIONS', message, options);
  }
}

/**
 * Thrown when an argument of a call (a user id, session data, a duration) is not acceptable.
 *
 * @example
 * ```ts
 * await kit.createSession({ userId: '' }); // throws KitInvalidInputError
 * ```
 */
export class KitInvalidInputError extends KitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_INVALID_INPUT', message, options);
  }
}

/**
 * The presented refresh token is not one this server could have issued: wrong prefix, wrong
 * length, bad encoding or a failed integrity tag (mistyped or forged). Decided without touching the
 * database. Maps to OAuth `invalid_grant`.
 *
 * @example
 * ```ts
 * await kit.refresh('kit_rt_garbage'); // rejects with KitRefreshTokenMalformedError
 * ```
 */
export class KitRefreshTokenMalformedError extends KitError {
  constructor(options?: { cause?: unknown }) {
    super('ERR_REFRESH_TOKEN_MALFORMED', 'The refresh token is malformed.', options);
  }
}

/**
 * The refresh token is well formed but does not belong to a live session (unknown session, or not
 * a token of that session). Maps to OAuth `invalid_grant`.
 *
 * @example
 * ```ts
 * // after the session was purged from the database:
 * await kit.refresh(oldToken); // rejects with KitRefreshTokenInvalidError
 * ```
 */
export class KitRefreshTokenInvalidError extends KitError {
  constructor(options?: { cause?: unknown }) {
    super('ERR_REFRESH_TOKEN_INVALID', 'The refresh token is not valid.', options);
  }
}

/**
 * A genuine but superseded refresh token was presented: the session has been revoked with reason
 * `refresh_token_reused` and a `reuse_detected` event emitted. Maps to OAuth `invalid_grant`.
 *
 * @example
 * ```ts
 * const first = await kit.createSession({ userId: 'u1' });
 * await kit.refresh(first.refreshToken);
 * // ...more than `reuseGrace` later:
 * await kit.refresh(first.refreshToken); // rejects with KitRefreshTokenReusedError
 * ```
 */
export class KitRefreshTokenReusedError extends KitError {
  /** Id of the session that was revoked. Safe to log. */
  readonly sessionId: string;
  constructor(sessionId: string) {
    super('ERR_REFRESH_TOKEN_REUSED', 'A superseded refresh token was presented; the session was revoked.');
    this.sessionId = sessionId;
  }
}

/**
 * The session's idle or absolute lifetime has passed. Maps to OAuth `invalid_grant`.
 *
 * @example
 * ```ts
 * await kit.refresh(tokenOfExpiredSession); // rejects with KitSessionExpiredError
 * ```
 */
export class KitSessionExpiredError extends KitError {
  constructor() {
    super('ERR_SESSION_EXPIRED', 'The session has expired.');
  }
}

/**
 * The session was revoked. Maps to OAuth `invalid_grant`.
 *
 * @example
 * ```ts
 * await kit.sessions.revoke(sessionId);
 * await kit.refresh(token); // rejects with KitSessionRevokedError
 * ```
 */
export class KitSessionRevokedError extends KitError {
  constructor() {
    super('ERR_SESSION_REVOKED', 'The session has been revoked.');
  }
}

/**
 * An administrative call named a session that does not exist (or not in the state the call
 * needs, such as revalidating a revoked session).
 *
 * @example
 * ```ts
 * await kit.sessions.extend('00000000-0000-4000-8000-000000000000', { idle: '1d' }); // rejects
 * ```
 */
export class KitSessionNotFoundError extends KitError {
  constructor(message = 'No such session.') {
    super('ERR_SESSION_NOT_FOUND', message);
  }
}

/**
 * The session store could not be reached (connection refused, timed out, or dropped). Retry later;
 * nothing was changed. HTTP adapters answer 503 `temporarily_unavailable`.
 *
 * @example
 * ```ts
 * try { await kit.refresh(token); } catch (e) {
 *   if (e instanceof KitStoreUnavailableError) res.status(503);
 * }
 * ```
 */
export class KitStoreUnavailableError extends KitError {
  constructor(options?: { cause?: unknown }) {
    super('ERR_STORE_UNAVAILABLE', 'The session store is unavailable.', options);
  }
}

/**
 * The session store failed for a reason other than availability (for example the kit's
 * migrations have not been run). The original driver error is kept as `cause`.
 *
 * @example
 * ```ts
 * await kit.createSession({ userId: 'u1' }); // before `kit migrate`: rejects with KitStoreFailureError
 * ```
 */
export class KitStoreFailureError extends KitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_STORE_FAILURE', message, options);
  }
}

/**
 * A signing key or key set is unusable (symmetric key, missing private members, unsupported
 * algorithm, duplicate `kid`).
 *
 * @example
 * ```ts
 * await importSigningKeys({ keys: [{ kty: 'oct', k: '...' }] }); // rejects with KitKeyInvalidError
 * ```
 */
export class KitKeyInvalidError extends KitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_KEY_INVALID', message, options);
  }
}

/**
 * No signing key with this `kid` is in the key store (`kit keys delete`, `kit.keys.delete`).
 *
 * @example
 * ```ts
 * await kit.keys.delete('no-such-kid'); // rejects with KitKeyNotFoundError
 * ```
 */
export class KitKeyNotFoundError extends KitError {
  constructor(message = 'No signing key with this kid is in the key store.', options?: { cause?: unknown }) {
    super('ERR_KEY_NOT_FOUND', message, options);
  }
}

/**
 * A signing key cannot be deleted yet: it signs now, is published ahead of signing, or was retired
 * too recently for every token it signed to have expired. The message says which, and when the
 * key can go.
 *
 * @example
 * ```ts
 * await kit.keys.delete(kit.jwks().keys[0]!.kid); // the signing key: rejects with KitKeyInUseError
 * ```
 */
export class KitKeyInUseError extends KitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_KEY_IN_USE', message, options);
  }
}

/**
 * Another instance holds the purge lock: this purge was skipped and deleted nothing. The pruner
 * reports such a run through `onRun(0, { skipped: true })` instead of throwing.
 *
 * @example
 * ```ts
 * await kit.sessions.purgeExpired().catch((e) => e.code === 'ERR_PURGE_IN_PROGRESS' ? 0 : Promise.reject(e));
 * ```
 */
export class KitPurgeInProgressError extends KitError {
  constructor(
    message = 'Another instance is purging sessions now; this purge was skipped.',
    options?: { cause?: unknown },
  ) {
    super('ERR_PURGE_IN_PROGRESS', message, options);
  }
}

/**
 * The access token is not a compact JWS with a well-formed header and claims.
 *
 * @example
 * ```ts
 * await verify('not.a.jwt'); // rejects with KitJwtMalformedError
 * ```
 */
export class KitJwtMalformedError extends KitError {
  constructor(message = 'The access token is malformed.', options?: { cause?: unknown }) {
    super('ERR_JWT_MALFORMED', message, options);
  }
}

/**
 * The access token failed verification: bad signature or wrong `typ`.
 *
 * @example
 * ```ts
 * await verify(tokenWithFlippedSignatureBit); // rejects with KitJwtInvalidError
 * ```
 */
export class KitJwtInvalidError extends KitError {
  constructor(message = 'The access token is not valid.', options?: { cause?: unknown }) {
    super('ERR_JWT_INVALID', message, options);
  }
}

/**
 * The access token's `exp` has passed (beyond the clock tolerance).
 *
 * @example
 * ```ts
 * await verify(expiredToken); // rejects with KitJwtExpiredError
 * ```
 */
export class KitJwtExpiredError extends KitError {
  constructor() {
    super('ERR_JWT_EXPIRED', 'The access token has expired.');
  }
}

/**
 * The access token is valid but its session (`sid`) is on the revocation list the verifier follows
 * (`revocationsUrl`): the session was revoked after the token was issued.
 *
 * @example
 * ```ts
 * await verify(tokenOfALoggedOutSession); // rejects with KitJwtRevokedError
 * ```
 */
export class KitJwtRevokedError extends KitError {
  constructor() {
    super('ERR_JWT_REVOKED', "The access token's session has been revoked.");
  }
}

/**
 * The access token's `alg` is not in the verifier's allow-list (including `none` and every
 * symmetric algorithm).
 *
 * @example
 * ```ts
 * await verify(hs256Token); // rejects with KitJwtAlgorithmNotAllowedError
 * ```
 */
export class KitJwtAlgorithmNotAllowedError extends KitError {
  constructor() {
    super('ERR_JWT_ALG_NOT_ALLOWED', 'The access token uses an algorithm that is not allowed.');
  }
}

/**
 * A registered claim is missing or does not match (`iss`, `aud`, `sub`, `nbf`, `iat`...).
 *
 * @example
 * ```ts
 * await verify(tokenForAnotherAudience); // rejects with KitJwtClaimInvalidError, claim 'aud'
 * ```
 */
export class KitJwtClaimInvalidError extends KitError {
  /** Name of the offending claim. */
  readonly claim: string;
  constructor(claim: string, message = `The access token's "${claim}" claim is missing or invalid.`) {
    super('ERR_JWT_CLAIM_INVALID', message);
    this.claim = claim;
  }
}

/**
 * No key of the JWKS matches the token's `kid` (even after the permitted refetch).
 *
 * @example
 * ```ts
 * await verify(tokenSignedByUnknownKey); // rejects with KitJwksNoMatchingKeyError
 * ```
 */
export class KitJwksNoMatchingKeyError extends KitError {
  constructor() {
    super('ERR_JWKS_NO_MATCHING_KEY', 'No key of the key set matches the access token.');
  }
}

/**
 * The remote JWKS could not be fetched and no keys are held from an earlier fetch.
 *
 * @example
 * ```ts
 * const verify = createVerifier({ issuer, audience, jwksUrl: 'http://127.0.0.1:9/jwks' });
 * await verify(token); // rejects with KitJwksFetchFailedError
 * ```
 */
export class KitJwksFetchFailedError extends KitError {
  constructor(message = 'The key set could not be fetched.', options?: { cause?: unknown }) {
    super('ERR_JWKS_FETCH_FAILED', message, options);
  }
}

/**
 * A JWKS document is not a valid key set.
 *
 * @example
 * ```ts
 * createVerifier({ issuer, audience, jwks: { keys: 'nope' } as never }); // throws
 * ```
 */
export class KitJwksInvalidError extends KitError {
  constructor(message = 'The key set is not a valid JWKS.', options?: { cause?: unknown }) {
    super('ERR_JWKS_INVALID', message, options);
  }
}
