import type { AuthKit } from '@kit/core';
import {
  type AccessTokenClaims,
  type AccessTokenVerifier,
  createVerifier,
  KitInvalidOptionsError,
  type KitLogger,
  type VerifierOptions,
} from '@kit/core/verify';
import type { MiddlewareHandler } from 'hono';
import { kitErrorResponse } from './kit-error-response.ts';
import { checkLogger } from './logger.ts';
import { malformedCredentials, missingCredentials, readBearerToken } from './read-bearer-token.ts';

/**
 * Hono environment of routes behind {@link createBearerAuth}: `c.var.claims` holds the verified
 * access-token claims, typed `C` (the kit's claims plus those your `claims` hook adds:
 * `KitClaims<T>` of a kit made by `createAuthKit<T>`).
 *
 * @example
 * ```ts
 * const app = new Hono<KitAuthEnv<KitClaims<Types>>>();
 * app.get('/me', createBearerAuth({ kit }), (c) => c.json({ role: c.var.claims.role }));
 * ```
 */
export interface KitAuthEnv<C extends AccessTokenClaims = AccessTokenClaims> {
  Variables: { claims: C };
}

/**
 * Options of {@link createBearerAuth}: exactly one of `kit` (verify with the kit's own keys),
 * `verify` (any verifier made by `createVerifier`), or the options of `createVerifier` itself
 * (`issuer`, `audience`, `jwksUrl` or `jwks`...), as an edge service without the kit uses it.
 *
 * `logger` (a pino logger fits) gets a line for each request answered 5xx, `{ code, status }`
 * (a JWKS that cannot be fetched is a 503); with the verifier's options it is also the verifier's
 * logger. Without it nothing is written.
 */
export type BearerAuthOptions =
  | { kit: Pick<AuthKit, 'verifyAccessToken'>; logger?: KitLogger }
  | { verify: AccessTokenVerifier; logger?: KitLogger }
  | VerifierOptions;

/**
 * Middleware that verifies the request's Bearer access token with the core verifier and puts
 * its claims on the context (`c.var.claims`). No database is touched, and it imports nothing
 * Node-specific, so it runs at the edge. Answers, per RFC 6750: no `Authorization` header → 401
 * with `WWW-Authenticate: Bearer`; a malformed header (another scheme, an ill-formed token) → 400
 * `invalid_request`; a bad, expired, wrong-issuer or wrong-audience token → 401
 * `WWW-Authenticate: Bearer error="invalid_token"`. The token is never echoed back. Options are
 * checked once, when the factory runs.
 *
 * For routes where a revoked session must lose access at once, use {@link createSessionAuth}.
 *
 * `c.var.claims` takes its type from `kit` (a kit made by `createAuthKit<T>` gives `KitClaims<T>`)
 * or from `verify` (`createVerifier<C>`). With the verifier's options, name it:
 * `createBearerAuth<AccessTokenClaims & { role: string }>({ issuer, audience, jwksUrl })`.
 *
 * @example
 * ```ts
 * import { createBearerAuth, type KitAuthEnv } from '@kit/hono';
 * import { Hono } from 'hono';
 *
 * const app = new Hono<KitAuthEnv>();
 * const bearer = createBearerAuth({
 *   issuer: 'https://auth.example.com',
 *   audience: 'https://api.example.com',
 *   jwksUrl: 'https://auth.example.com/.well-known/jwks.json',
 * });
 * app.get('/me', bearer, (c) => c.json({ user: c.var.claims.sub }));
 * ```
 */
export function createBearerAuth<C extends AccessTokenClaims>(
  options:
    | { kit: { verifyAccessToken(token: string): Promise<C> }; logger?: KitLogger }
    | { verify: (token: string) => Promise<C>; logger?: KitLogger },
): MiddlewareHandler<KitAuthEnv<C>>;
/**
 * {@link createBearerAuth} with the claims type named: the verifier's options (`issuer`,
 * `audience`, `jwksUrl` or `jwks`...) carry no claims type of their own.
 */
export function createBearerAuth<C extends AccessTokenClaims = AccessTokenClaims>(
  options: BearerAuthOptions,
): MiddlewareHandler<KitAuthEnv<C>>;
export function createBearerAuth(options: BearerAuthOptions): MiddlewareHandler<KitAuthEnv> {
  const verify = toVerifier(options);
  const logger = checkLogger(options.logger, 'createBearerAuth', options);
  return async function bearerAuth(c, next) {
    const credentials = readBearerToken(c.req.raw);
    if (credentials.kind === 'none') return missingCredentials();
    if (credentials.kind === 'malformed') return malformedCredentials();
    let claims: AccessTokenClaims;
    try {
      claims = await verify(credentials.token);
    } catch (error) {
      return kitErrorResponse(error, logger);
    }
    c.set('claims', claims);
    await next();
  };
}

/** The verifier the options describe. @internal */
export function toVerifier(options: BearerAuthOptions): AccessTokenVerifier {
  if (typeof options !== 'object' || options === null) {
    throw new KitInvalidOptionsError(
      'createBearerAuth needs { kit }, { verify } or the options of createVerifier.',
    );
  }
  if ('kit' in options) {
    if (typeof options.kit?.verifyAccessToken !== 'function') {
      throw new KitInvalidOptionsError('`kit` must be the AuthKit made by createAuthKit.');
    }
    const kit = options.kit;
    return (token) => kit.verifyAccessToken(token);
  }
  if ('verify' in options) {
    if (typeof options.verify !== 'function') {
      throw new KitInvalidOptionsError('`verify` must be the function createVerifier returns.');
    }
    return options.verify;
  }
  return createVerifier(options);
}
