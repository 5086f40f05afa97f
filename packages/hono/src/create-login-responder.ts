import {
  type AuthKit,
  type CreateSessionInput,
  KitInvalidOptionsError,
  type KitSessionData,
  type KitTypes,
} from '@kit/core';
import type { Context } from 'hono';
import { defaultClientAddress } from './client-address.ts';
import { cookieRefusal, cookieRequestAllowed, wantsCookieMode } from './cookie-mode.ts';
import { dpopRequest } from './dpop-request.ts';
import { kitErrorResponse } from './kit-error-response.ts';
import { oauthErrorResponse } from './oauth-error-response.ts';
import { type KitRoutesOptions, resolveRoutesOptions } from './options.ts';
import { tokenResponse } from './token-response.ts';

/**
 * What the host's login route passes once it has authenticated the user: the session input of
 * `kit.createSession` without the client details, which are read from the request. `D` is the
 * type of the session's `data`.
 */
export type LoginInput<D extends Record<string, unknown> = Record<string, unknown>> = Omit<
  CreateSessionInput<D>,
  'userAgent' | 'ip'
>;

/**
 * Makes the helper the host's login route ends with: it opens a session for the authenticated
 * user (recording the request's user agent and client address) and answers with the token
 * response, `Cache-Control: no-store`. In cookie mode, a request that sends the cookie-mode
 * header gets the refresh token in the `HttpOnly` cookie instead of the body (and is refused with
 * 400 `invalid_request` if it fails the CSRF checks). Kit errors are answered through the error
 * table (503 `temporarily_unavailable` while the database is unreachable).
 *
 * A request with a `DPoP` header (RFC 9449) gets a session bound to the proof's key
 * (`"token_type": "DPoP"`); a proof that fails answers 400 `invalid_dpop_proof` and opens nothing.
 * The proof's `htu` must be the login route's public URL: the origin of `baseUrl` when set (behind
 * a proxy), else the request's, with the request's path. A kit without the `dpop` option ignores
 * the header, as a server without DPoP does (RFC 9449 §5): the session is a Bearer one and the
 * answer says `"token_type": "Bearer"`, which a DPoP client checks.
 *
 * Pass the same options as to {@link createKitRoutes}. The input's `data` takes its type from the
 * kit (`createAuthKit<T>`).
 *
 * @example
 * ```ts
 * import { createKitRoutes, createLoginResponder, createRateLimit } from '@kit/hono';
 *
 * const options = { baseUrl: 'https://app.example.com', cookie: true };
 * app.route('/', createKitRoutes(kit, options));
 * const respond = createLoginResponder(kit, options);
 * app.post('/login', createRateLimit({ name: 'login', limit: 10 }), async (c) => {
 *   const user = await checkPassword(await c.req.json());
 *   if (!user) return c.json({ error: 'invalid_credentials' }, 401);
 *   return respond(c, { userId: user.id });
 * });
 * ```
 */
export function createLoginResponder<T extends KitTypes = KitTypes>(
  kit: AuthKit<T>,
  options: KitRoutesOptions = {},
): (c: Context, input: LoginInput<KitSessionData<T>>) => Promise<Response> {
  if (typeof kit?.createSession !== 'function') {
    throw new KitInvalidOptionsError('createLoginResponder needs the AuthKit made by createAuthKit.');
  }
  const resolved = resolveRoutesOptions({ ...options, rateLimit: false, revokeRateLimit: false });
  const clientAddress = resolved.clientAddress ?? defaultClientAddress;
  const publicOrigin = resolved.baseUrl === undefined ? undefined : new URL(resolved.baseUrl).origin;
  return async function respondWithSession(c, input) {
    const cookie = wantsCookieMode(c, resolved.cookie) ? resolved.cookie : undefined;
    if (cookie && !cookieRequestAllowed(c, cookie)) {
      return oauthErrorResponse(
        400,
        'invalid_request',
        cookieRefusal(c, cookie, 'Cookie mode is not allowed for this request.', resolved.logger),
      );
    }
    // The login route's public URL: `baseUrl`'s origin (behind a proxy) with the request's path.
    const requestUrl = new URL(c.req.url);
    const dpop = dpopRequest(c, kit, `${publicOrigin ?? requestUrl.origin}${requestUrl.pathname}`);
    try {
      const tokens = await kit.createSession({
        ...input,
        userAgent: c.req.header('user-agent'),
        ip: clientAddress(c),
        ...(dpop ? { dpop } : {}),
      });
      return tokenResponse(tokens, cookie);
    } catch (error) {
      return kitErrorResponse(error, resolved.logger);
    }
  };
}
