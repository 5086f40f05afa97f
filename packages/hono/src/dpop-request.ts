import type { AuthKit, SessionDpopProof } from '@kit/core';
import type { Context } from 'hono';

/**
 * The `DPoP` proof of a request to open or refresh a session, for `kit.createSession` or
 * `kit.refresh`: `undefined` when the request carries no `DPoP` header or the kit has no `dpop`
 * option, otherwise `{ proof, method: 'POST', url }`.
 *
 * A kit without the option does not do DPoP, and a server that does not do DPoP ignores the header
 * (RFC 9449 §5: it issues Bearer tokens, and the client learns so from `"token_type": "Bearer"`, which
 * it must check). Refreshing a session bound earlier still fails closed: the kit refuses to refresh
 * a bound session as a Bearer one (`ERR_INVALID_OPTIONS`), proof or no proof.
 *
 * `url` is the URL the client addressed, without query: `publicOrigin` (the origin of the routes'
 * `baseUrl`, set behind a proxy) with the request's path, or the request's own origin and path
 * without it. Repeated `DPoP` headers reach the kit joined with a comma, which it refuses.
 *
 * @internal
 */
export function dpopRequest(c: Context, kit: AuthKit, publicUrl: string): SessionDpopProof | undefined {
  const proof = c.req.raw.headers.get('dpop');
  if (proof === null || kit.config.dpop === null) return undefined;
  return { proof, method: 'POST', url: publicUrl };
}

/**
 * The public URL of the request's own endpoint without query: `baseUrl` (the public URL of the
 * routes' `basePath`) followed by `routePath`, or, without `baseUrl`, the request URL as the
 * server received it.
 *
 * @internal
 */
export function publicEndpointUrl(c: Context, baseUrl: string | undefined, routePath: string): string {
  if (baseUrl !== undefined) return `${baseUrl}${routePath}`;
  const url = new URL(c.req.url);
  return `${url.origin}${url.pathname}`;
}
