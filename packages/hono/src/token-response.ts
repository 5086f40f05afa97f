import type { TokenSet } from '@kit/core';
import { type CookieMode, refreshCookie } from './cookie-mode.ts';

/**
 * The RFC 6749 §5.1 token response for a token set: `{"access_token", "token_type": "Bearer",
 * "expires_in", "refresh_token"}` with `Cache-Control: no-store`. With a cookie mode, the refresh
 * token goes into the `HttpOnly` cookie instead of the body. @internal
 */
export function tokenResponse(tokens: TokenSet, cookie?: CookieMode): Response {
  // A plain object, not `Headers`: @hono/node-server writes a plain object straight to the socket,
  // where a `Headers` would be copied into one field by field (and sorted) on every answer. A
  // caller that changes the answer's headers afterwards still gets a `Headers` from `headers`.
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    pragma: 'no-cache',
  };
  const body: Record<string, unknown> = {
    access_token: tokens.accessToken,
    token_type: tokens.tokenType,
    expires_in: tokens.expiresIn,
  };
  if (cookie) {
    // The session's own clock: `lastRefreshedAt` is the instant these tokens were issued.
    const maxAge = (tokens.session.expiresAt.getTime() - tokens.session.lastRefreshedAt.getTime()) / 1000;
    headers['set-cookie'] = refreshCookie(cookie, tokens.refreshToken, maxAge);
  } else {
    body.refresh_token = tokens.refreshToken;
  }
  return new Response(JSON.stringify(body), { status: 200, headers });
}
