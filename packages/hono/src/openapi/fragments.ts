import { MAX_BODY_BYTES } from '../max-body-bytes.ts';
import type { OpenApiResponse } from './openapi-types.ts';

/** OpenAPI pieces several routes share. @internal */

/** An RFC 6749 §5.2 error answer whose `error` is one of `codes` (each becomes an example). */
export const oauthError = (description: string, codes: string[]): OpenApiResponse => ({
  description,
  content: {
    'application/json': {
      schema: {
        $ref: '#/components/schemas/OAuthError',
      },
      examples: Object.fromEntries(
        codes.map((code) => [code, { value: { error: code, error_description: '...' } }]),
      ),
    },
  },
});

export const noStore = { 'Cache-Control': { schema: { type: 'string', const: 'no-store' } } };

export const retryAfter = {
  'Retry-After': { schema: { type: 'integer' }, description: 'Seconds to wait.' },
};

export const unavailable: OpenApiResponse = {
  description: 'The database is unreachable: `temporarily_unavailable`; retry after `Retry-After` seconds.',
  headers: retryAfter,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/OAuthError' } } },
};

export const rateLimited: OpenApiResponse = {
  ...oauthError('Rate limit exceeded', ['too_many_requests']),
  headers: retryAfter,
};

export const unauthorized: OpenApiResponse = {
  description:
    'No credentials (`WWW-Authenticate: Bearer`, or `Bearer, DPoP algs="..."` when the kit has the `dpop` option), or a bad, expired or wrong-audience token, or an ended session (`WWW-Authenticate: Bearer error="invalid_token"`). With DPoP (RFC 9449): `invalid_token` for a bound token sent as `Bearer`, an unbound one sent as `DPoP` or a proof by another key, `invalid_dpop_proof` for a missing or failing proof (wrong `htm`, `htu`, `ath`, stale or replayed), each with `WWW-Authenticate: DPoP error="...", algs="..."`.',
  headers: { 'WWW-Authenticate': { schema: { type: 'string' } } },
};

export const malformedAuth = oauthError('Malformed `Authorization` header.', ['invalid_request']);

export const tooLarge = oauthError(`Body over ${MAX_BODY_BYTES / 1024} KiB`, ['invalid_request']);

/** A request body sent as a form or as a JSON object, with one schema for both. */
export const formOrJson = (schema: Record<string, unknown>) => ({
  required: true,
  content: {
    'application/x-www-form-urlencoded': { schema },
    'application/json': { schema },
  },
});
