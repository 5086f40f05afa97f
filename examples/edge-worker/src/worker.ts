/**
 * A Cloudflare-style Worker (`export default { fetch }`) in front of an API: it verifies the kit's
 * access tokens with `@kit/core/verify` against the JWKS the auth server publishes, with no
 * database and no call to the auth server per request. It imports no `node:*` module.
 *
 * Every request needs `Authorization: Bearer <access token>`. The answer is 200
 * `{"user": sub, "session": sid}`, or 401 with an RFC 6750 challenge.
 */
import { type AccessTokenVerifier, createVerifier, KitError } from '@kit/core/verify';

/** The Worker's bindings (Wrangler `vars`). */
export interface Env {
  /** The auth server's issuer, e.g. `https://auth.example.com`. */
  ISSUER: string;
  /** This API's audience. */
  AUDIENCE: string;
  /** The auth server's JWKS, e.g. `https://auth.example.com/.well-known/jwks.json`. */
  JWKS_URL: string;
}

// One verifier per isolate, made on the first request (bindings arrive with it): its JWKS cache
// lives across requests, so keys are fetched once per Cache-Control max-age, not per request.
let verify: AccessTokenVerifier | undefined;

// The auth server's key set could not be had: not the client's fault, it may retry.
const UNAVAILABLE = new Set(['ERR_JWKS_FETCH_FAILED', 'ERR_JWKS_INVALID']);

function challenge(error?: 'invalid_request' | 'invalid_token'): Response {
  return new Response(error ? JSON.stringify({ error }) : null, {
    status: error === 'invalid_request' ? 400 : 401,
    headers: {
      'www-authenticate': error ? `Bearer error="${error}"` : 'Bearer',
      ...(error ? { 'content-type': 'application/json' } : {}),
    },
  });
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const header = request.headers.get('authorization');
    if (header === null) return challenge();
    const token = /^Bearer +([A-Za-z0-9._~+/-]+=*)$/i.exec(header)?.[1];
    if (!token) return challenge('invalid_request');
    verify ??= createVerifier({ issuer: env.ISSUER, audience: env.AUDIENCE, jwksUrl: env.JWKS_URL });
    try {
      const claims = await verify(token);
      return Response.json({ user: claims.sub, session: claims.sid });
    } catch (error) {
      if (error instanceof KitError && UNAVAILABLE.has(error.code)) {
        return Response.json(
          { error: 'temporarily_unavailable' },
          { status: 503, headers: { 'retry-after': '5' } },
        );
      }
      // Never echo the token or the reason back (log `error.code` if you need it).
      return challenge('invalid_token');
    }
  },
};
