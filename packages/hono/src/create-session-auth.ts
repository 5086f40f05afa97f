import {
  type AuthKit,
  type KitClaims,
  KitInvalidOptionsError,
  type KitLogger,
  type KitSessionData,
  type KitTypes,
  type Session,
} from '@kit/core';
import type { AccessTokenClaims } from '@kit/core/verify';
import type { MiddlewareHandler } from 'hono';
import { kitErrorResponse } from './kit-error-response.ts';
import { checkLogger } from './logger.ts';
import {
  invalidToken,
  malformedCredentials,
  missingCredentials,
  readBearerToken,
} from './read-bearer-token.ts';

/**
 * Hono environment of routes behind {@link createSessionAuth}: the verified claims (`C`) and the
 * session they belong to (its `data` a `D`), active at the time of the request. For a kit made by
 * `createAuthKit<T>`: `KitSessionEnv<KitClaims<T>, KitSessionData<T>>`.
 */
export interface KitSessionEnv<
  C extends AccessTokenClaims = AccessTokenClaims,
  D extends Record<string, unknown> = Record<string, unknown>,
> {
  Variables: { claims: C; session: Session<D> };
}

/**
 * The stricter Bearer middleware for sensitive routes: it verifies the access token like
 * {@link createBearerAuth}, then reads the token's session (`sid`) from the database and refuses
 * the token (401 `invalid_token`) unless that session is active and belongs to the token's
 * subject. A session revoked a second ago (logout, reuse detection, an admin) loses access at
 * once instead of when its access tokens expire. Costs one indexed read per request; answers 503
 * `temporarily_unavailable` with `Retry-After` while the database is unreachable.
 *
 * `c.var.claims` and `c.var.session` take their types from the kit (`createAuthKit<T>`).
 *
 * @example
 * ```ts
 * import { createSessionAuth, type KitSessionEnv } from '@kit/hono';
 *
 * const app = new Hono<KitSessionEnv>();
 * app.post('/account/email', createSessionAuth({ kit }), changeEmail);
 * ```
 */
export function createSessionAuth<T extends KitTypes>(options: {
  kit: AuthKit<T>;
  /**
   * Where a failure answered 5xx is logged (`{ code, status }`, a pino logger fits).
   * @default none: nothing is written
   */
  logger?: KitLogger;
}): MiddlewareHandler<KitSessionEnv<KitClaims<T>, KitSessionData<T>>>;
/** {@link createSessionAuth} with the claims type named, for a kit made without types. */
export function createSessionAuth<C extends AccessTokenClaims = AccessTokenClaims>(options: {
  kit: AuthKit;
  logger?: KitLogger;
}): MiddlewareHandler<KitSessionEnv<C>>;
export function createSessionAuth(options: {
  kit: AuthKit;
  logger?: KitLogger;
}): MiddlewareHandler<KitSessionEnv> {
  const kit = options?.kit;
  if (typeof kit?.verifyAccessToken !== 'function' || typeof kit.sessions?.get !== 'function') {
    throw new KitInvalidOptionsError('createSessionAuth needs { kit }: the AuthKit made by createAuthKit.');
  }
  const logger = checkLogger(options.logger, 'createSessionAuth', options);
  return async function sessionAuth(c, next) {
    const credentials = readBearerToken(c.req.raw);
    if (credentials.kind === 'none') return missingCredentials();
    if (credentials.kind === 'malformed') return malformedCredentials();
    let claims: AccessTokenClaims;
    let session: Session | null;
    try {
      claims = await kit.verifyAccessToken(credentials.token);
      session = await kit.sessions.get(claims.sid);
    } catch (error) {
      return kitErrorResponse(error, logger);
    }
    if (session?.status !== 'active' || session.userId !== claims.sub) {
      return invalidToken('The session of this access token has ended.');
    }
    c.set('claims', claims);
    c.set('session', session);
    await next();
  };
}
