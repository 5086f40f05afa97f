import { type AuthKit, KitInvalidOptionsError } from '@kit/core';
import { Hono, type MiddlewareHandler } from 'hono';
import type { BlankEnv } from 'hono/types';
import { defaultClientAddress } from './client-address.ts';
import { createSessionAuthAt, type KitSessionEnv } from './create-session-auth.ts';
import { kitErrorResponse } from './kit-error-response.ts';
import { type KitRoutesOptions, type ResolvedRoutesOptions, resolveRoutesOptions } from './options.ts';
import type { RouteDpopOptions } from './request-auth.ts';
import type { RouteContext, RouteGuard } from './routes/kit-route.ts';
import { KIT_ROUTES, type KitRoutesSchema } from './routes/kit-routes.ts';

/**
 * The kit's HTTP routes, exactly as the contract fixes them (paths relative to `basePath`):
 *
 * - `POST /token`: `grant_type=refresh_token` as a form or JSON (or the cookie in cookie mode) →
 *   200 token response; 400 `invalid_request` / `unsupported_grant_type` / `invalid_grant`; 413
 *   over 16 KiB; 429 over the rate limit; 503 `temporarily_unavailable` with `Retry-After`.
 * - `POST /revoke` (RFC 7009): 200 with an empty body, also for an unknown token; 400
 *   `invalid_request`; 413 over 16 KiB; 429 over its own rate limit (`revokeRateLimit`); 503
 *   `temporarily_unavailable` with `Retry-After`.
 * - `GET /.well-known/jwks.json`: the public keys, `Cache-Control: public, max-age=N`.
 * - `GET /.well-known/oauth-authorization-server`: RFC 8414 metadata whose URLs follow the mount.
 * - `GET /revocations`: the revocation list edge verifiers poll ({@link revocationListHandler}).
 * - `GET /sessions`, `DELETE /sessions/:id`, `POST /logout?scope=local|others|global`: the
 *   caller's sessions, behind {@link createSessionAuth} (a revoked session is refused at once):
 *   `Authorization: Bearer`, or `DPoP` with a proof when the kit has the `dpop` option (the
 *   proof's `htu`: `baseUrl` followed by the route's path; see `dpop`).
 *
 * Every `/token` and `/revoke` answer has `Cache-Control: no-store`; errors are RFC 6749 §5.2
 * JSON; bad input is always a 4xx and no answer ever contains the token that was sent.
 *
 * The app it returns carries the routes' types ({@link KitRoutesSchema}), so Hono's `hc` client
 * knows every path, what it takes and what it answers; give `basePath` as a literal for its paths
 * to be known too. {@link createOpenApiDocument} describes the same routes from the same table.
 *
 * @example
 * ```ts
 * import { createKitRoutes } from '@kit/hono';
 * import { Hono } from 'hono';
 *
 * const app = new Hono();
 * app.route('/', createKitRoutes(kit, { basePath: '/auth', baseUrl: 'https://example.com/auth' }));
 * // POST https://example.com/auth/token, GET https://example.com/auth/.well-known/jwks.json, ...
 * ```
 *
 * A typed client of these routes:
 * ```ts
 * import { hc } from 'hono/client';
 *
 * const routes = createKitRoutes(kit, { basePath: '/auth' });
 * const client = hc<typeof routes>('https://example.com');
 * const res = await client.auth.token.$post({ json: { grant_type: 'refresh_token', refresh_token } });
 * if (res.status === 200) console.log((await res.json()).expires_in);
 * ```
 */
export function createKitRoutes<const BasePath extends string = ''>(
  kit: AuthKit,
  options: KitRoutesOptions & { basePath?: BasePath } = {},
): Hono<BlankEnv, KitRoutesSchema<BasePath>, '/'> {
  if (typeof kit?.refresh !== 'function' || typeof kit.sessions?.list !== 'function') {
    throw new KitInvalidOptionsError('createKitRoutes needs the AuthKit made by createAuthKit.');
  }
  const o = resolveRoutesOptions(options);
  const fail = (error: unknown) => kitErrorResponse(error, o.logger);
  const context: RouteContext = {
    kit,
    options: o,
    clientAddress: o.clientAddress ?? defaultClientAddress,
    fail,
  };
  const guards: Record<RouteGuard, MiddlewareHandler<KitSessionEnv> | undefined> = {
    tokenLimit: o.rateLimit,
    revokeLimit: o.revokeRateLimit,
    session: createSessionAuthAt({ kit, logger: o.logger, dpop: sessionRoutesDpop(kit, o) }, o.basePath),
  };
  const app = new Hono<KitSessionEnv>();
  app.onError(fail);
  for (const route of KIT_ROUTES) {
    const guard = route.guard === undefined ? undefined : guards[route.guard];
    const handler = route.handler(context);
    const path = `${o.basePath}${route.path}`;
    if (guard) app.on(route.method, path, guard, handler);
    else app.on(route.method, path, handler);
  }
  // The routes were added from the table, one by one, so Hono could not infer their types; these
  // are the table's (`KitRoutesSchema`), as chained `app.post(...)` calls would have made them.
  return app as unknown as Hono<BlankEnv, KitRoutesSchema<BasePath>, '/'>;
}

/**
 * DPoP on the session routes, as the kit does it: `Bearer` only without its `dpop` option. The
 * routes' `baseUrl` is the public URL of `basePath`, so a proof's `htu` is `baseUrl` followed by the
 * route's path below `basePath` (`createSessionAuthAt` is given `basePath` for that); without
 * `baseUrl`, each request's own URL.
 */
function sessionRoutesDpop(kit: AuthKit, o: ResolvedRoutesOptions): RouteDpopOptions | false {
  if (kit.config.dpop === null) return false;
  // Only the routes' `baseUrl` names the public URL, whatever `dpop` carries at run time.
  const { baseUrl: _ignored, ...proofOptions } = (o.dpop ?? {}) as RouteDpopOptions;
  return o.baseUrl === undefined ? proofOptions : { ...proofOptions, baseUrl: o.baseUrl };
}
