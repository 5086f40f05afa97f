import { KitError } from './kit-error.ts';

/**
 * The access token is not a compact JWS with a well-formed header and claims.
 */
export class KitJwtMalformedError extends KitError {
  static readonly code = 'ERR_JWT_MALFORMED';

  constructor(message = 'The access token is malformed.', options?: { cause?: unknown }) {
    super(KitJwtMalformedError.code, message, options);
  }
}

/**
 * The access token failed verification: bad signature or wrong `typ`.
 */
export class KitJwtInvalidError extends KitError {
  static readonly code = 'ERR_JWT_INVALID';

  constructor(message = 'The access token is not valid.', options?: { cause?: unknown }) {
    super(KitJwtInvalidError.code, message, options);
  }
}

/**
 * The access token's `exp` has passed (beyond the clock tolerance).
 */
export class KitJwtExpiredError extends KitError {
  static readonly code = 'ERR_JWT_EXPIRED';

  constructor() {
    super(KitJwtExpiredError.code, 'The access token has expired.');
  }
}

/**
 * The access token is valid but its session (`sid`) is on the revocation list the verifier follows
 * (`revocationsUrl`): the session was revoked after the token was issued.
 */
export class KitJwtRevokedError extends KitError {
  static readonly code = 'ERR_JWT_REVOKED';

  constructor() {
    super(KitJwtRevokedError.code, "The access token's session has been revoked.");
  }
}

/**
 * The access token's `alg` is not in the verifier's allow-list (including `none` and every
 * symmetric algorithm).
 */
export class KitJwtAlgorithmNotAllowedError extends KitError {
  static readonly code = 'ERR_JWT_ALG_NOT_ALLOWED';

  constructor() {
    super(KitJwtAlgorithmNotAllowedError.code, 'The access token uses an algorithm that is not allowed.');
  }
}

/**
 * A registered claim is missing or does not match (`iss`, `aud`, `sub`, `nbf`, `iat`...).
 */
export class KitJwtClaimInvalidError extends KitError {
  static readonly code = 'ERR_JWT_CLAIM_INVALID';

  /** Name of the offending claim. */
  readonly claim: string;
  constructor(claim: string, message = `The access token's "${claim}" claim is missing or invalid.`) {
    super(KitJwtClaimInvalidError.code, message);
    this.claim = claim;
  }
}

/**
 * No key of the JWKS matches the token's `kid` (even after the permitted refetch).
 */
export class KitJwksNoMatchingKeyError extends KitError {
  static readonly code = 'ERR_JWKS_NO_MATCHING_KEY';

  constructor() {
    super(KitJwksNoMatchingKeyError.code, 'No key of the key set matches the access token.');
  }
}

/**
 * The remote JWKS could not be fetched and no keys are held from an earlier fetch.
 */
export class KitJwksFetchFailedError extends KitError {
  static readonly code = 'ERR_JWKS_FETCH_FAILED';

  constructor(message = 'The key set could not be fetched.', options?: { cause?: unknown }) {
    super(KitJwksFetchFailedError.code, message, options);
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
  static readonly code = 'ERR_JWKS_INVALID';

  constructor(message = 'The key set is not a valid JWKS.', options?: { cause?: unknown }) {
    super(KitJwksInvalidError.code, message, options);
  }
}
