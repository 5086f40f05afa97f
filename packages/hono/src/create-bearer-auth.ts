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
import { checkLogger } from './logger.ts';
import { createRequestAuth, type RouteDpopOptions } from './request-auth.ts';

/**
 * Hono environment of routes behind {@link createBearerAuth}: `c.var.claims` holds the verified
 * access-token claims, typed `C` (the kit's claims plus those your `claims` hook adds:
 * `KitClaims<T>` of a kit made by `createAuthKit<T>`); `c.var.jkt` the RFC 7638 thumbprint of the
 * key that signed the request's DPoP proof (the token's `cnf.jkt`), `undefined` for a Bearer token.
 *
 * @example
 * ```ts
 * const app = new Hono<KitAuthEnv<KitClaims<Types>>>();
 * app.get('/me', createBearerAuth({ kit }), (c) => c.json({ role: c.var.claims.role }));
 * ```
 */
export interface KitAuthEnv<C extends AccessTokenClaims = AccessTokenClaims> {
  Variables: { claims: C; jkt: string | undefined };
}

/**
 * Options of {@link createBearerAuth}: exactly one of `kit` (verify with the kit's own keys),
 * `verify` (any verifier made by `createVerifier`), or the options of `createVerifier` itself
 * (`issuer`, `audience`, `jwksUrl` or `jwks`...), as an edge service without the kit uses it.
 *
 * `logger` (a pino logger fits) gets a line for each request answered 5xx, `{ code, status }`
 * (a JWKS that cannot be fetched is a 503); with the verifier's options it is also the verifier's
 * logger. Without it nothing is written.
 *
 * `dpop`: DPoP-bound tokens (RFC 9449), accepted by default with proofs remembered in this
 * process's memory; set `dpop.baseUrl` behind a proxy, a shared `dpop.replayCache` for several
 * instances (see {@link RouteDpopOptions}), or `false` to take `Bearer` only.
 */
export type BearerAuthOptions = (
  | { kit: Pick<AuthKit, 'verifyAccessToken'>; logger?: KitLogger }
  | { verify: AccessTokenVerifier; logger?: KitLogger }
  | VerifierOptions
) & {
  /**
   * DPoP proofs: their options, or `false` to accept the `Bearer` scheme only. A token bound to a
   * key (`cnf`) is refused as `Bearer` either way.
   * @default DPoP accepted, `htu` checked against each request's own URL, proofs remembered in this
   * process's memory
   */
  dpop?: RouteDpopOptions | false;
};

/**
 * Middleware that verifies the request's access token with the core verifier and puts its claims
 * on the context (`c.var.claims`). No database is touched, and it imports nothing Node-specific, so
 * it runs at the edge. Answers, per RFC 6750: no `Authorization` header → 401 with
 * `WWW-Authenticate: Bearer, DPoP algs="..."` (`Bearer` alone with `dpop: false`); a malformed
 * header (another scheme, an ill-formed token) → 400 `invalid_request`; a bad, expired,
 * wrong-issuer or wrong-audience Bearer token → 401 `WWW-Authenticate: Bearer error="invalid_token"`.
 *
 * DPoP (RFC 9449 §7): `Authorization: DPoP <token>` with a `DPoP` proof is accepted when the token
 * is bound to the proof's key (`cnf.jkt`) and the proof is valid for this request (method, URL
 * per `dpop.baseUrl`, the token's hash, fresh, not replayed); `c.var.jkt` is then that key's
 * thumbprint. A bound token sent as `Bearer`, an unbound one sent as `DPoP`, a proof by another
 * key or a failing token → 401 `WWW-Authenticate: DPoP error="invalid_token", algs="..."`; a
 * missing or invalid proof → 401 `DPoP error="invalid_dpop_proof", algs="..."`, each with the
 * OAuth error as JSON. A replay cache out of reach → 503. The token and the proof are never echoed
 * back. Options are checked once, when the factory runs.
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
  options: (
    | { kit: { verifyAccessToken(token: string): Promise<C> }; logger?: KitLogger }
    | { verify: (token: string) => Promise<C>; logger?: KitLogger }
  ) & { dpop?: RouteDpopOptions | false },
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
  const authenticate = createRequestAuth(verify, options.dpop, logger);
  return async function bearerAuth(c, next) {
    const result = await authenticate(c);
    if (!result.ok) return result.response;
    c.set('claims', result.claims);
    c.set('jkt', result.jkt);
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
  // `dpop` is this middleware's option, not the verifier's.
  const { dpop: _dpop, ...verifierOptions } = options as VerifierOptions & { dpop?: unknown };
  return createVerifier(verifierOptions);
}
