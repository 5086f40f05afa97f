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
import { createRequestAuth, type RouteDpopOptions } from './request-auth.ts';

/**
 * Hono environment of routes behind {@link createSessionAuth}: the verified claims (`C`), the
 * session they belong to (its `data` a `D`), active at the time of the request, and `jkt`, the
 * RFC 7638 thumbprint of the key that signed the request's DPoP proof (`undefined` for a Bearer
 * token). For a kit made by `createAuthKit<T>`: `KitSessionEnv<KitClaims<T>, KitSessionData<T>>`.
 */
export interface KitSessionEnv<
  C extends AccessTokenClaims = AccessTokenClaims,
  D extends Record<string, unknown> = Record<string, unknown>,
> {
  Variables: { claims: C; session: Session<D>; jkt: string | undefined };
}

/**
 * Options of {@link createSessionAuth}.
 *
 * `dpop`: DPoP-bound access tokens (RFC 9449), as {@link createBearerAuth} takes them. Left out, it
 * follows the kit: accepted when the kit has the `dpop` option (proofs by its `algorithms`,
 * remembered in its `replayCache` when that one is shared by every instance, else in this
 * process's memory), `Bearer` only when it has not. Set `dpop.baseUrl` behind a proxy (see
 * {@link RouteDpopOptions}), or `false` to take `Bearer` only. A token bound to a key (`cnf`) is
 * refused as `Bearer` either way.
 */
export interface SessionAuthOptions<K extends AuthKit = AuthKit> {
  /** The kit made by `createAuthKit`: it verifies the token and reads the session. */
  kit: K;
  /**
   * Where a failure answered 5xx is logged (`{ code, status }`, a pino logger fits).
   * @default none: nothing is written
   */
  logger?: KitLogger;
  /**
   * DPoP proofs: their options, or `false` to accept the `Bearer` scheme only.
   * @default accepted when the kit has the `dpop` option (its algorithms, `htu` checked against
   * each request's own URL, proofs remembered in the kit's replay cache when it is shared, else in
   * this process's memory), else `false`
   */
  dpop?: RouteDpopOptions | false;
}

/**
 * The stricter middleware for sensitive routes: it verifies the request's access token like
 * {@link createBearerAuth} (`Authorization: Bearer <token>`, or `DPoP <token>` with a proof by the
 * key the token is bound to), then reads the token's session (`sid`) from the database and refuses
 * the token (401 `invalid_token`) unless that session is active and belongs to the token's
 * subject. A session revoked a second ago (logout, reuse detection, an admin) loses access at
 * once instead of when its access tokens expire. Costs one indexed read per request; answers 503
 * `temporarily_unavailable` with `Retry-After` while the database is unreachable.
 *
 * Answers as {@link createBearerAuth} does (RFC 6750, RFC 9449 §7): no credentials → 401 with
 * `WWW-Authenticate: Bearer, DPoP algs="..."` (`Bearer` alone without DPoP); a malformed header →
 * 400 `invalid_request`; a bad token, a bound token sent as `Bearer`, a proof by another key or an
 * ended session → 401 `invalid_token`, with a `DPoP error="invalid_token", algs="..."` challenge
 * for a DPoP request or a bound token; a missing or failing proof (wrong `htm`, `htu`, `ath`,
 * stale, replayed) → 401 `invalid_dpop_proof`. The proof is checked before the session is read.
 * `c.var.jkt` is the proof key's thumbprint (`undefined` for a Bearer token).
 *
 * `c.var.claims` and `c.var.session` take their types from the kit (`createAuthKit<T>`).
 *
 * @example
 * ```ts
 * import { createSessionAuth, type KitSessionEnv } from '@kit/hono';
 *
 * const app = new Hono<KitSessionEnv>();
 * app.post('/account/email', createSessionAuth({ kit, dpop: { baseUrl: 'https://app.example.com' } }), changeEmail);
 * ```
 */
export function createSessionAuth<T extends KitTypes>(
  options: SessionAuthOptions<AuthKit<T>>,
): MiddlewareHandler<KitSessionEnv<KitClaims<T>, KitSessionData<T>>>;
/** {@link createSessionAuth} with the claims type named, for a kit made without types. */
export function createSessionAuth<C extends AccessTokenClaims = AccessTokenClaims>(
  options: SessionAuthOptions,
): MiddlewareHandler<KitSessionEnv<C>>;
export function createSessionAuth(options: SessionAuthOptions): MiddlewareHandler<KitSessionEnv> {
  return createSessionAuthAt(options, '');
}

/**
 * {@link createSessionAuth} for routes mounted under `mountPath`, the path `dpop.baseUrl` already
 * names (the routes of {@link createKitRoutes}: their `baseUrl` is the public URL of `basePath`).
 * @internal
 */
export function createSessionAuthAt(
  options: SessionAuthOptions,
  mountPath: string,
): MiddlewareHandler<KitSessionEnv> {
  const kit = options?.kit;
  if (typeof kit?.verifyAccessToken !== 'function' || typeof kit.sessions?.get !== 'function') {
    throw new KitInvalidOptionsError('createSessionAuth needs { kit }: the AuthKit made by createAuthKit.');
  }
  const logger = checkLogger(options.logger, 'createSessionAuth', options);
  const authenticate = createRequestAuth(
    (token) => kit.verifyAccessToken(token),
    sessionDpop(kit, options.dpop),
    logger,
    mountPath,
  );
  return async function sessionAuth(c, next) {
    const result = await authenticate(c);
    if (!result.ok) return result.response;
    const { claims } = result;
    let session: Session | null;
    try {
      session = await kit.sessions.get(claims.sid);
    } catch (error) {
      return kitErrorResponse(error, logger);
    }
    if (session?.status !== 'active' || session.userId !== claims.sub) {
      return authenticate.refuse(result.scheme, 'The session of this access token has ended.');
    }
    c.set('claims', claims);
    c.set('session', session);
    c.set('jkt', result.jkt);
    await next();
  };
}

/**
 * The DPoP options of a session route: as given, with the kit's algorithms by default, and the
 * kit's replay cache when it is shared by every instance (a fleet then catches a proof replayed
 * at another instance's session route); left out, those of the kit when it has the `dpop` option
 * and `false` (Bearer only) when it has not. Beside a cache of this process (`scope: 'process'`)
 * the route keeps a memory cache of its own: it catches the same replays, and its entries do not
 * count against the capacity `POST /token` needs.
 */
function sessionDpop(kit: AuthKit, dpop: RouteDpopOptions | false | undefined): RouteDpopOptions | false {
  const kitDpop = kit.config?.dpop ?? null;
  if (dpop === false) return false;
  if (dpop === undefined && kitDpop === null) return false;
  // Anything else than an object is refused by createRequestAuth, naming the option.
  if (dpop !== undefined && (typeof dpop !== 'object' || dpop === null || kitDpop === null)) return dpop;
  // `kitDpop` is not null here; its cache is left out when a kit double's config has none.
  const { algorithms, replayCache } = kitDpop as NonNullable<AuthKit['config']['dpop']>;
  const shared = replayCache !== undefined && replayCache.scope !== 'process';
  return {
    algorithms,
    ...(shared ? { replayCache } : {}),
    ...dpop,
  };
}
