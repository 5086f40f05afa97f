/**
 * Options of {@link createOpenApiDocument}.
 *
 * @example
 * ```ts
 * const options: OpenApiOptions = { serverUrl: 'https://example.com', basePath: '/auth' };
 * ```
 */
export interface OpenApiOptions {
  /** Document title. @default 'kit auth API' */
  title?: string;
  /** Document version. @default '1.0.0' */
  version?: string;
  /** Server URL (origin, optionally with a path). @default none: relative to the document */
  serverUrl?: string;
  /** The `basePath` the routes are served under. @default '' */
  basePath?: string;
  /** Whether cookie mode is on (documents the cookie and the CSRF header). @default false */
  cookie?: boolean;
  /**
   * Whether the routes of {@link createHealthRoutes} are served at the root (documents `GET
   * /healthz` and `GET /readyz`). @default false
   */
  health?: boolean;
  /** More path items (the host's own routes, such as its login route), merged in. */
  paths?: Record<string, unknown>;
}

const error = (description: string, codes: string[]) => ({
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
const noStore = { 'Cache-Control': { schema: { type: 'string', const: 'no-store' } } };
const retryAfter = { 'Retry-After': { schema: { type: 'integer' }, description: 'Seconds to wait.' } };
const unavailable = {
  description: 'The database is unreachable: `temporarily_unavailable`; retry after `Retry-After` seconds.',
  headers: retryAfter,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/OAuthError' } } },
};
const unauthorized = {
  description:
    'No credentials (`WWW-Authenticate: Bearer`), or a bad, expired or wrong-audience token, or an ended session (`WWW-Authenticate: Bearer error="invalid_token"`).',
  headers: { 'WWW-Authenticate': { schema: { type: 'string' } } },
};
const malformedAuth = error('Malformed `Authorization` header.', ['invalid_request']);

const HEALTH_STATUS = {
  'application/json': {
    schema: {
      type: 'object',
      required: ['status'],
      properties: {
        status: { type: 'string', enum: ['ok', 'unavailable'] },
        checks: {
          type: 'object',
          properties: {
            database: { type: 'string', enum: ['ok', 'unavailable'] },
            signingKeys: { type: 'string', enum: ['ok', 'unavailable'] },
          },
        },
        reason: { type: 'string', enum: ['timeout', 'shutting_down'] },
      },
    },
  },
};

/** `GET /healthz` and `GET /readyz`, as {@link createHealthRoutes} answers them. */
function healthPaths(): Record<string, unknown> {
  return {
    '/healthz': {
      get: {
        tags: ['health'],
        summary: 'Liveness: 200 while the process serves requests (checks nothing else)',
        responses: { 200: { description: '`{"status":"ok"}`', headers: noStore, content: HEALTH_STATUS } },
      },
    },
    '/readyz': {
      get: {
        tags: ['health'],
        summary: 'Readiness: the database answers and the signing keys are loaded',
        description:
          'One probe at a time, shared by concurrent requests and reused for a second; answered within 2 s even when the database hangs. 503 as soon as the server begins to shut down.',
        responses: {
          200: { description: '`{"status":"ok","checks":{...}}`', headers: noStore, content: HEALTH_STATUS },
          503: {
            description:
              'Not ready: a failing check, `"reason":"timeout"` or `"reason":"shutting_down"`; retry after `Retry-After` seconds.',
            headers: { ...noStore, ...retryAfter },
            content: HEALTH_STATUS,
          },
        },
      },
    },
  };
}

/**
 * The OpenAPI 3.1 document of the kit's routes (those of {@link createKitRoutes}), as a plain
 * object to serve as JSON or feed to any OpenAPI tool. Host routes can be merged in with `paths`.
 *
 * Exported from `@kit/hono`.
 *
 * @example
 * ```ts
 * import { createOpenApiDocument } from '@kit/hono';
 *
 * const doc = createOpenApiDocument({ serverUrl: 'https://example.com', basePath: '/auth' });
 * app.get('/openapi.json', (c) => c.json(doc));
 * ```
 */
export function createOpenApiDocument(options: OpenApiOptions = {}): Record<string, unknown> {
  const base = (options.basePath ?? '').replace(/\/+$/, '');
  const tokenRequest = {
    type: 'object',
    required: ['grant_type'],
    properties: {
      grant_type: { type: 'string', const: 'refresh_token' },
      refresh_token: {
        type: 'string',
        description: options.cookie
          ? 'The refresh token (`kit_rt_...`). Omit it in cookie mode: the cookie is used instead.'
          : 'The refresh token (`kit_rt_...`).',
      },
      client_id: { type: 'string' },
    },
  };
  const bearer = [{ bearer: [] }];
  const paths: Record<string, unknown> = {
    [`${base}/token`]: {
      post: {
        tags: ['tokens'],
        summary: 'Exchange a refresh token (rotation)',
        description:
          'Returns a new access token and a new refresh token. The refresh token presented just before the current one, within the reuse grace, gets the identical current one; any older genuine token revokes the session (reuse detection).' +
          (options.cookie
            ? ' Cookie mode: without `refresh_token`, the `HttpOnly` cookie is used if the request carries the `X-Kit-Cookie: 1` header and a same-origin `Origin`; the new refresh token is set in the cookie, not returned.'
            : ''),
        ...(options.cookie
          ? {
              parameters: [
                {
                  name: 'X-Kit-Cookie',
                  in: 'header',
                  required: false,
                  schema: { type: 'string', const: '1' },
                  description: 'Cookie mode (CSRF guard).',
                },
              ],
            }
          : {}),
        requestBody: {
          required: true,
          content: {
            'application/x-www-form-urlencoded': { schema: tokenRequest },
            'application/json': { schema: tokenRequest },
          },
        },
        responses: {
          200: {
            description: 'Token response',
            headers: noStore,
            content: { 'application/json': { schema: { $ref: '#/components/schemas/TokenResponse' } } },
          },
          400: error('Bad request or refresh token', [
            'invalid_request',
            'unsupported_grant_type',
            'invalid_grant',
          ]),
          413: error('Body over 16 KiB', ['invalid_request']),
          429: { ...error('Rate limit exceeded', ['too_many_requests']), headers: retryAfter },
          503: unavailable,
        },
      },
    },
    [`${base}/revoke`]: {
      post: {
        tags: ['tokens'],
        summary: 'Revoke a refresh token and its session (RFC 7009)',
        requestBody: {
          required: true,
          content: {
            'application/x-www-form-urlencoded': {
              schema: {
                type: 'object',
                required: ['token'],
                properties: { token: { type: 'string' }, token_type_hint: { type: 'string' } },
              },
            },
            'application/json': {
              schema: {
                type: 'object',
                required: ['token'],
                properties: { token: { type: 'string' }, token_type_hint: { type: 'string' } },
              },
            },
          },
        },
        responses: {
          200: {
            description: 'Revoked, or the token was unknown (RFC 7009: same answer).',
            headers: noStore,
          },
          400: error('Missing or repeated `token`', ['invalid_request']),
          413: error('Body over 16 KiB', ['invalid_request']),
          429: { ...error('Rate limit exceeded', ['too_many_requests']), headers: retryAfter },
          503: unavailable,
        },
      },
    },
    [`${base}/.well-known/jwks.json`]: {
      get: {
        tags: ['discovery'],
        summary: 'Public signing keys (JWKS)',
        responses: {
          200: {
            description: 'JWK set, public members only; `Cache-Control: public, max-age=N`.',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['keys'],
                  properties: { keys: { type: 'array', items: { type: 'object' } } },
                },
              },
            },
          },
        },
      },
    },
    [`${base}/revocations`]: {
      get: {
        tags: ['discovery'],
        summary: 'Sessions revoked while their access tokens may still be live',
        description:
          'Polled by edge verifiers (`createVerifier({ revocationsUrl })`). `Cache-Control: no-cache` with a strong `ETag`; 304 for a matching `If-None-Match`.',
        responses: {
          200: {
            description: 'The revocation list.',
            content: { 'application/json': { schema: { type: 'object' } } },
          },
          304: { description: 'Unchanged since the `If-None-Match` ETag.' },
          503: { description: '`temporarily_unavailable`: the store is unreachable; `Retry-After` is set.' },
        },
      },
    },
    [`${base}/.well-known/oauth-authorization-server`]: {
      get: {
        tags: ['discovery'],
        summary: 'Authorization server metadata (RFC 8414 subset)',
        responses: {
          200: {
            description: 'Metadata',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: [
                    'issuer',
                    'token_endpoint',
                    'revocation_endpoint',
                    'jwks_uri',
                    'grant_types_supported',
                  ],
                  properties: {
                    issuer: { type: 'string' },
                    token_endpoint: { type: 'string', format: 'uri' },
                    revocation_endpoint: { type: 'string', format: 'uri' },
                    jwks_uri: { type: 'string', format: 'uri' },
                    grant_types_supported: {
                      type: 'array',
                      items: { type: 'string', const: 'refresh_token' },
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
    [`${base}/sessions`]: {
      get: {
        tags: ['sessions'],
        summary: "The caller's active sessions (devices)",
        security: bearer,
        responses: {
          200: {
            description: 'Active sessions of the caller’s user, newest first.',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: {
                    sessions: { type: 'array', items: { $ref: '#/components/schemas/Session' } },
                  },
                },
              },
            },
          },
          400: malformedAuth,
          401: unauthorized,
          503: unavailable,
        },
      },
    },
    [`${base}/sessions/{id}`]: {
      delete: {
        tags: ['sessions'],
        summary: 'Revoke one of the caller’s sessions',
        security: bearer,
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }],
        responses: {
          204: { description: 'Revoked' },
          400: malformedAuth,
          401: unauthorized,
          404: error('Unknown id, or another user’s session', ['not_found']),
          503: unavailable,
        },
      },
    },
    [`${base}/logout`]: {
      post: {
        tags: ['sessions'],
        summary: 'Log out this session, all others, or all',
        security: bearer,
        parameters: [
          {
            name: 'scope',
            in: 'query',
            required: false,
            schema: { type: 'string', enum: ['local', 'others', 'global'], default: 'local' },
          },
        ],
        responses: {
          204: { description: 'Done' },
          400: error('Bad scope or malformed `Authorization` header', ['invalid_request']),
          401: unauthorized,
          503: unavailable,
        },
      },
    },
    ...(options.health ? healthPaths() : {}),
    ...options.paths,
  };
  return {
    openapi: '3.1.0',
    info: {
      title: options.title ?? 'kit auth API',
      version: options.version ?? '1.0.0',
      description:
        'Short-lived JWT access tokens (RFC 9068) verified from the JWKS, and rotating refresh sessions with reuse detection.',
    },
    ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: {
        OAuthError: {
          type: 'object',
          required: ['error'],
          properties: { error: { type: 'string' }, error_description: { type: 'string' } },
        },
        TokenResponse: {
          type: 'object',
          required: ['access_token', 'token_type', 'expires_in'],
          properties: {
            access_token: { type: 'string' },
            token_type: { type: 'string', const: 'Bearer' },
            expires_in: { type: 'integer' },
            refresh_token: { type: 'string', description: 'Absent in cookie mode.' },
          },
        },
        Session: {
          type: 'object',
          properties: {
            id: { type: 'string', format: 'uuid' },
            created_at: { type: 'string', format: 'date-time' },
            last_used_at: { type: 'string', format: 'date-time' },
            expires_at: { type: 'string', format: 'date-time' },
            user_agent: { type: ['string', 'null'] },
            ip: { type: ['string', 'null'] },
            current: { type: 'boolean' },
          },
        },
      },
    },
  };
}
