import type { TokenType } from '@kit/core';
import type { TypedResponse } from 'hono';
import { clearedCookie, cookieRefusal, cookieRequestAllowed, readRefreshCookie } from '../cookie-mode.ts';
import { dpopRequest, publicEndpointUrl } from '../dpop-request.ts';
import { oauthErrorResponse } from '../oauth-error-response.ts';
import { formOrJson, noStore, oauthError, tooLarge, unavailable } from '../openapi/fragments.ts';
import { tokenResponse } from '../token-response.ts';
import type { Answers, KitRoute } from './kit-route.ts';
import { readBody } from './read-body.ts';

/** The parameters of `POST /token`, as a form or a JSON object. */
export interface TokenRequestParams {
  grant_type: 'refresh_token';
  /** Left out in cookie mode: the cookie is used instead. */
  refresh_token?: string;
  client_id?: string;
}

/** The RFC 6749 §5.1 token response (no `refresh_token` in cookie mode). */
export interface TokenResponseBody {
  access_token: string;
  token_type: TokenType;
  expires_in: number;
  refresh_token?: string;
}

/**
 * `POST /token`: `grant_type=refresh_token` as a form or JSON (or the cookie in cookie mode) → 200
 * token response; 400 `invalid_request` / `unsupported_grant_type` / `invalid_grant` /
 * `invalid_dpop_proof`; 413 over 16 KiB; 503 `temporarily_unavailable` with `Retry-After`. The
 * `DPoP` header goes to `kit.refresh` with method `POST` and the endpoint's public URL; a kit
 * without the `dpop` option ignores it (a session bound earlier then fails closed, 500). @internal
 */
export const tokenRoute: KitRoute<
  'post',
  '/token',
  // JSON for Hono's client: its `form` is sent as multipart/form-data, which the route refuses
  // (only application/x-www-form-urlencoded is a form here, as in RFC 6749).
  { in: { json: TokenRequestParams } },
  Answers<TypedResponse<TokenResponseBody, 200, 'json'>>
> = {
  method: 'post',
  path: '/token',
  guard: 'tokenLimit',
  handler:
    ({ kit, options: o, clientAddress, fail }) =>
    async (c) => {
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
        return oauthErrorResponse(
          400,
          'unsupported_grant_type',
          'Only grant_type=refresh_token is supported.',
        );
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
                o.logger,
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
      // RFC 9449 §4.3: `htu` is the token endpoint's public URL, without query.
      const dpop = dpopRequest(c, kit, publicEndpointUrl(c, o.baseUrl, tokenRoute.path));
      try {
        const tokens = await kit.refresh(token, {
          userAgent: c.req.header('user-agent'),
          ip: clientAddress(c),
          ...(dpop ? { dpop } : {}),
        });
        return tokenResponse(tokens, fromCookie ? o.cookie : undefined);
      } catch (error) {
        const response = fail(error);
        // A cookie that no longer works is removed, so the browser stops sending it. A refused DPoP
        // proof says nothing about the cookie: its session still refreshes with a good proof.
        const code = (error as { code?: unknown } | null)?.code;
        const proofRefused = code === 'ERR_DPOP_PROOF_INVALID' || code === 'ERR_DPOP_NONCE_REQUIRED';
        if (fromCookie && o.cookie && response.status === 400 && !proofRefused) {
          response.headers.append('set-cookie', clearedCookie(o.cookie));
        }
        return response;
      }
    },
  operation: ({ cookieHeader }) => ({
    tags: ['tokens'],
    summary: 'Exchange a refresh token (rotation)',
    description:
      'Returns a new access token and a new refresh token. The refresh token presented just before the current one, within the reuse grace, gets the identical current one; any older genuine token revokes the session (reuse detection).' +
      ' A session bound to a DPoP key (RFC 9449) needs a `DPoP` proof by that key (`htm` POST, `htu` this endpoint\'s public URL): without one, or with one that fails, 400 `invalid_dpop_proof`; with a valid proof by another key, 400 `invalid_grant`; neither changes the session, whatever the token. Its token response says `"token_type": "DPoP"`.' +
      (cookieHeader
        ? ` Cookie mode: without \`refresh_token\`, the \`HttpOnly\` cookie is used if the request carries the \`${cookieHeader}: 1\` header and a same-origin \`Origin\`; the new refresh token is set in the cookie, not returned.`
        : ''),
    parameters: [
      {
        name: 'DPoP',
        in: 'header',
        required: false,
        schema: { type: 'string' },
        description:
          'A DPoP proof (RFC 9449): required for a session bound to a DPoP key, ignored for a Bearer session and by a server without DPoP.',
      },
      ...(cookieHeader
        ? [
            {
              name: cookieHeader,
              in: 'header' as const,
              required: false,
              schema: { type: 'string', const: '1' },
              description: 'Cookie mode (CSRF guard).',
            },
          ]
        : []),
    ],
    requestBody: formOrJson({
      type: 'object',
      required: ['grant_type'],
      properties: {
        grant_type: { type: 'string', const: 'refresh_token' },
        refresh_token: {
          type: 'string',
          description: cookieHeader
            ? 'The refresh token (`kit_rt_...`). Omit it in cookie mode: the cookie is used instead.'
            : 'The refresh token (`kit_rt_...`).',
        },
        client_id: { type: 'string' },
      },
    }),
    responses: {
      200: {
        description: 'Token response',
        headers: noStore,
        content: { 'application/json': { schema: { $ref: '#/components/schemas/TokenResponse' } } },
      },
      400: oauthError('Bad request, refresh token or DPoP proof', [
        'invalid_request',
        'unsupported_grant_type',
        'invalid_grant',
        'invalid_dpop_proof',
      ]),
      413: tooLarge,
      503: unavailable,
    },
  }),
};
