import { KitError } from './kit-error.ts';

/**
 * The presented refresh token is not one this server could have issued: wrong prefix, wrong
 * length, bad encoding or a failed integrity tag (mistyped or forged). Decided without touching the
 * database. Maps to OAuth `invalid_grant`.
 */
export class KitRefreshTokenMalformedError extends KitError {
  static readonly code = 'ERR_REFRESH_TOKEN_MALFORMED';

  constructor(options?: { cause?: unknown }) {
    super(KitRefreshTokenMalformedError.code, 'The refresh token is malformed.', options);
  }
}

/**
 * The refresh token is well formed but does not belong to a live session (unknown session, or not
 * a token of that session). Maps to OAuth `invalid_grant`.
 */
export class KitRefreshTokenInvalidError extends KitError {
  static readonly code = 'ERR_REFRESH_TOKEN_INVALID';

  constructor(options?: { cause?: unknown }) {
    super(KitRefreshTokenInvalidError.code, 'The refresh token is not valid.', options);
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
  static readonly code = 'ERR_REFRESH_TOKEN_REUSED';

  /** Id of the session that was revoked. Safe to log. */
  readonly sessionId: string;
  constructor(sessionId: string) {
    super(
      KitRefreshTokenReusedError.code,
      'A superseded refresh token was presented; the session was revoked.',
    );
    this.sessionId = sessionId;
  }
}

/**
 * The session's idle or absolute lifetime has passed. Maps to OAuth `invalid_grant`.
 */
export class KitSessionExpiredError extends KitError {
  static readonly code = 'ERR_SESSION_EXPIRED';

  constructor() {
    super(KitSessionExpiredError.code, 'The session has expired.');
  }
}

/**
 * The session was revoked. Maps to OAuth `invalid_grant`.
 */
export class KitSessionRevokedError extends KitError {
  static readonly code = 'ERR_SESSION_REVOKED';

  constructor() {
    super(KitSessionRevokedError.code, 'The session has been revoked.');
  }
}

/**
 * An administrative call named a session that does not exist (or not in the state the call
 * needs, such as revalidating a revoked session).
 */
export class KitSessionNotFoundError extends KitError {
  static readonly code = 'ERR_SESSION_NOT_FOUND';

  constructor(message = 'No such session.') {
    super(KitSessionNotFoundError.code, message);
  }
}
