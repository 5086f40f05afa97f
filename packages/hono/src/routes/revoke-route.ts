import type { TypedResponse } from 'hono';
import { oauthErrorResponse } from '../oauth-error-response.ts';
import { formOrJson, noStore, oauthError, tooLarge, unavailable } from '../openapi/fragments.ts';
import type { Answers, KitRoute } from './kit-route.ts';
import { readBody } from './read-body.ts';

/** The parameters of `POST /revoke` (RFC 7009), as a form or a JSON object. */
export interface RevokeRequestParams {
  token: string;
  token_type_hint?: string;
}

/**
 * `POST /revoke` (RFC 7009): 200 with an empty body, also for an unknown token; 400
 * `invalid_request`; 413 over 16 KiB; 503 `temporarily_unavailable` with `Retry-After`. @internal
 */
export const revokeRoute: KitRoute<
  'post',
  '/revoke',
  // JSON for Hono's client: its `form` is sent as multipart/form-data, which the route refuses
  // (only application/x-www-form-urlencoded is a form here, as in RFC 6749).
  { in: { json: RevokeRequestParams } },
  Answers<TypedResponse<null, 200, 'body'>>
> = {
  method: 'post',
  path: '/revoke',
  guard: 'revokeLimit',
  handler:
    ({ kit, fail }) =>
    async (c) => {
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
      return new Response(null, {
        status: 200,
        headers: { 'cache-control': 'no-store', pragma: 'no-cache' },
      });
    },
  operation: () => ({
    tags: ['tokens'],
    summary: 'Revoke a refresh token and its session (RFC 7009)',
    requestBody: formOrJson({
      type: 'object',
      required: ['token'],
      properties: { token: { type: 'string' }, token_type_hint: { type: 'string' } },
    }),
    responses: {
      200: {
        description: 'Revoked, or the token was unknown (RFC 7009: same answer).',
        headers: noStore,
      },
      400: oauthError('Missing or repeated `token`', ['invalid_request']),
      413: tooLarge,
      503: unavailable,
    },
  }),
};
