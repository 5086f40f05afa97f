import { oauthErrorResponse } from './oauth-error-response.ts';

/** RFC 6750 §2.1: `Bearer` (any case), one or more spaces, a b64token. */
const BEARER = /^bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * What the `Authorization` header of a request holds: nothing, a Bearer token, or something
 * malformed (another scheme, an empty or ill-formed token, several headers joined).
 *
 * @internal
 */
export type BearerCredentials = { kind: 'none' } | { kind: 'malformed' } | { kind: 'token'; token: string };

/** Reads the Bearer token of a request. Never throws. @internal */
export function readBearerToken(request: Request): BearerCredentials {
  const header = request.headers.get('authorization');
  if (header === null || header.trim() === '') return { kind: 'none' };
  const match = BEARER.exec(header);
  return match ? { kind: 'token', token: match[1]! } : { kind: 'malformed' };
}

/** RFC 6750 §3: a request without credentials gets a bare challenge and no error code. @internal */
export function missingCredentials(): Response {
  return new Response(null, { status: 401, headers: { 'www-authenticate': 'Bearer' } });
}

/** RFC 6750 §3.1: a malformed request is 400 `invalid_request`. @internal */
export function malformedCredentials(): Response {
  return oauthErrorResponse(400, 'invalid_request', 'The Authorization header is not "Bearer <token>".', {
    'www-authenticate': 'Bearer error="invalid_request"',
  });
}

/** RFC 6750 §3.1: a bad, expired or revoked token is 401 `invalid_token`. @internal */
export function invalidToken(description = 'The access token is invalid or expired.'): Response {
  return oauthErrorResponse(401, 'invalid_token', description, {
    'www-authenticate': 'Bearer error="invalid_token"',
  });
}
