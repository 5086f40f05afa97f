import { oauthErrorResponse } from './oauth-error-response.ts';

/** RFC 6750 §3.1: a malformed request is 400 `invalid_request`. @internal */
export function malformedCredentials(): Response {
  return oauthErrorResponse(400, 'invalid_request', 'The Authorization header is not "Bearer <token>".', {
    'www-authenticate': 'Bearer error="invalid_request"',
  });
}
