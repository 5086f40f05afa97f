import type { AuthKit, SessionDpopProof } from '@kit/core';
import type { Context } from 'hono';
import { oauthErrorResponse } from './oauth-error-response.ts';

/**
 * The `DPoP` proof of a request to open or refresh a session, for `kit.createSession` or
 * `kit.refresh`: `undefined` when the request carries no `DPoP` header, an error answer when it
 * carries one and the kit has no `dpop` option (a client asking for a bound session must not get
 * a Bearer one without being told), otherwise `{ proof, method: 'POST', url }`.
 *
 * `url` is the URL the client addressed, without query: `publicOrigin` (the origin of the routes'
 * `baseUrl`, set behind a proxy) with the request's path, or the request's own origin and path
 * without it. Repeated `DPoP` headers reach the kit joined with a comma, which it refuses.
 *
 * @internal
 */
export function dpopRequest(
  c: Context,
  kit: AuthKit,
  publicUrl: string,
): SessionDpopProof | Response | undefined {
  const proof = c.req.raw.headers.get('dpop');
  if (proof === null) return undefined;
  if (kit.config.dpop === null) {
    return oauthErrorResponse(400, 'invalid_dpop_proof', 'This server does not accept DPoP proofs.');
  }
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
