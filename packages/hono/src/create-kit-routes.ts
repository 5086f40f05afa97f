import type { AuthKit, Session } from '@kit/core';
import { Hono, type MiddlewareHandler } from 'hono';
import { defaultClientAddress } from './client-address.ts';
import { clearedCookie, cookieRefusal, cookieRequestAllowed, readRefreshCookie } from './cookie-mode.ts';
import { createSessionAuth, type KitSessionEnv } from './create-session-auth.ts';
import { kitErrorResponse } from './kit-error-response.ts';
import { oauthErrorResponse } from './oauth-error-response.ts';
import { type KitRoutesOptions, resolveRoutesOptions } from './options.ts';
import { readParams } from './read-params.ts';
import { revocationListHandler } from './revocation-route.ts';
import { tokenResponse } from './token-response.ts';

const METADATA_PATH = '/.well-known/oauth-authorization-server';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

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
 * - `GET /sessions`, `DELETE /sessions/:id`, `POST /logout?scope=local|others|global`: the
 *   caller's sessions, behind {@link createSessionAuth} (a revoked session is refused at once).
 *
 * Every `/token` and `/revoke` answer has `Cache-Control: no-store`; errors are RFC 6749 §5.2
 * JSON; bad input is always a 4xx and no answer ever contains the token that was sent.
 *
 * Exported from `@kit/hono`.
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
 */
export function createKitRoutes(kit: AuthKit, options: KitRoutesOptions = {}): Hono {
  if (typeof kit?.refresh !== 'function' || typeof kit.sessions?.list !== 'function') {
    throw new TypeError('createKitRoutes needs the AuthKit made by createAuthKit.');
  }
  const o = resolveRoutesOptions(options);
  const base = o.basePath;
  const clientAddress = o.clientAddress ?? defaultClientAddress;
  const app = new Hono<KitSessionEnv>();
  const unlimited: MiddlewareHandler = async (_c, next) => next();
  const rateLimit = o.rateLimit ?? unlimited;
  const revokeRateLimit = o.revokeRateLimit ?? unlimited;
  const sessionAuth = createSessionAuth({ kit, log: o.log });
  const fail = (error: unknown) => kitErrorResponse(error, o.log);
  app.onError(fail);

  app.post(`${base}/token`, rateLimit, async (c) => {
    const params = await readBody(
      c.req.raw,
      'Send grant_type and refresh_token once each, as a form or a JSON object of strings.',
    );
    if (params instanceof Response) return params;
    const grantType = params.grant_type;
    if (grantType === undefined || grantType === '') {
      return oauthErrorResponse(400, 'invalid_request', 'grant_type is required.');
    }
    if (grantType !== 'refresh_token') {
      return oauthErrorResponse(400, 'unsupported_grant_type', 'Only grant_type=refresh_token is supported.');
    }
    let token = params.refresh_token;
    let fromCookie = false;
    if (token === undefined && o.cookie) {
      const cookie = readRefreshCookie(c, o.cookie);
      if (cookie === null) {
        return oauthErrorResponse(400, 'invalid_request', 'The refresh-token cookie is duplicated.', {
          'set-cookie': clearedCookie(o.cookie),
        });
      }
      if (cookie !== undefined) {
        if (!cookieRequestAllowed(c, o.cookie)) {
          return oauthErrorResponse(
            400,
            'invalid_request',
            cookieRefusal(
              c,
              o.cookie,
              `A cookie-authenticated request needs the ${o.cookie.header} header and a same-origin Origin.`,
              o.log,
            ),
          );
        }
        token = cookie;
        fromCookie = true;
      }
    }
    if (token === undefined || token === '') {
      return oauthErrorResponse(400, 'invalid_request', 'refresh_token is required.');
    }
    try {
      const tokens = await kit.refresh(token, {
        userAgent: c.req.header('user-agent'),
        ip: clientAddress(c),
      });
      return tokenResponse(tokens, fromCookie ? o.cookie : undefined);
    } catch (error) {
      const response = fail(error);
      // A cookie that no longer works is removed, so the browser stops sending it.
      if (fromCookie && o.cookie && response.status === 400) {
        response.headers.append('set-cookie', clearedCookie(o.cookie));
      }
      return response;
    }
  });

  app.post(`${base}/revoke`, revokeRateLimit, async (c) => {
    const params = await readBody(c.req.raw, 'Send token once, as a form or a JSON object of strings.');
    if (params instanceof Response) return params;
    if (params.token === undefined || params.token === '') {
      return oauthErrorResponse(400, 'invalid_request', 'token is required.');
    }
    try {
      // RFC 7009 §2.2: unknown, invalid and access tokens all get 200; only genuine refresh tokens
      // revoke anything (the kit proves a token genuine before revoking its session).
      await kit.revokeRefreshToken(params.token, { reason: 'logout' });
    } catch (error) {
      return fail(error);
    }
    return new Response(null, { status: 200, headers: { 'cache-control': 'no-store', pragma: 'no-cache' } });
  });

  app.get(`${base}/.well-known/jwks.json`, (c) => {
    c.header('cache-control', `public, max-age=${kit.config.jwksMaxAge}`);
    return c.json(kit.jwks());
  });

  // Session ids revoked while their access tokens may still be live, polled by edge verifiers
  // (`createVerifier({ revocationsUrl })`).
  app.get(`${base}/revocations`, revocationListHandler(kit));

  app.get(`${base}${METADATA_PATH}`, (c) => {
    // The mount point is whatever precedes the route's own path, so the URLs stay right under
    // any prefix the host mounts these routes at.
    const root = o.baseUrl ?? new URL(c.req.url).origin + c.req.path.slice(0, -METADATA_PATH.length);
    c.header('cache-control', 'public, max-age=300');
    return c.json({
      issuer: kit.config.issuer,
      token_endpoint: `${root}/token`,
      revocation_endpoint: `${root}/revoke`,
      jwks_uri: `${root}/.well-known/jwks.json`,
      grant_types_supported: ['refresh_token'],
      token_endpoint_auth_methods_supported: ['none'],
      revocation_endpoint_auth_methods_supported: ['none'],
    });
  });

  app.get(`${base}/sessions`, sessionAuth, async (c) => {
    const current = c.var.claims.sid;
    const sessions = await kit.sessions.list(c.var.claims.sub, { status: 'active' });
    c.header('cache-control', 'no-store');
    return c.json({ sessions: sessions.map((s) => sessionView(s, current)) });
  });

  app.delete(`${base}/sessions/:id`, sessionAuth, async (c) => {
    const id = c.req.param('id');
    const notFound = () => oauthErrorResponse(404, 'not_found', 'No such session.');
    if (!UUID.test(id)) return notFound();
    // Scoped to the caller's user: another user's session id is as unknown as a random one.
    const revoked = await kit.sessions.revoke(id, { userId: c.var.claims.sub, reason: 'revoked' });
    if (!revoked) return notFound();
    const headers: Record<string, string> = {};
    if (id === c.var.claims.sid && o.cookie) headers['set-cookie'] = clearedCookie(o.cookie);
    return c.body(null, 204, headers);
  });

  app.post(`${base}/logout`, sessionAuth, async (c) => {
    const scope = c.req.queries('scope');
    if (scope !== undefined && scope.length !== 1) {
      return oauthErrorResponse(400, 'invalid_request', 'scope must be given at most once.');
    }
    const value = scope?.[0] ?? 'local';
    const { sub, sid } = c.var.claims;
    if (value === 'local') await kit.sessions.revoke(sid, { userId: sub, reason: 'logout' });
    else if (value === 'others') await kit.sessions.revokeAll(sub, { except: sid, reason: 'logout' });
    else if (value === 'global') await kit.sessions.revokeAll(sub, { reason: 'logout' });
    else return oauthErrorResponse(400, 'invalid_request', 'scope must be local, others or global.');
    const headers: Record<string, string> = {};
    if (value !== 'others' && o.cookie) headers['set-cookie'] = clearedCookie(o.cookie);
    return c.body(null, 204, headers);
  });

  return app as unknown as Hono;
}

/**
 * The parameters of an OAuth request body, or the error answer: 413 over 16 KiB, otherwise 400
 * `invalid_request` with `hint` (what this route expects).
 */
async function readBody(request: Request, hint: string): Promise<Record<string, string> | Response> {
  const read = await readParams(request);
  if (!('error' in read)) return read.params;
  return read.error === 'too_large'
    ? oauthErrorResponse(413, 'invalid_request', 'The request body is larger than 16 KiB.')
    : oauthErrorResponse(400, 'invalid_request', hint);
}

/** The public view of a session in `GET /sessions`. */
function sessionView(session: Session, currentId: string) {
  return {
    id: session.id,
    created_at: session.createdAt.toISOString(),
    last_used_at: session.lastRefreshedAt.toISOString(),
    expires_at: session.expiresAt.toISOString(),
    user_agent: session.userAgent,
    ip: session.ip,
    current: session.id === currentId,
  };
}
