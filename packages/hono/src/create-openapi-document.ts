import type { CookieModeOptions } from './cookie-mode.ts';
import type { RateLimitOptions } from './create-rate-limit.ts';
import { healthPaths } from './openapi/health-paths.ts';
import { kitPaths } from './openapi/kit-paths.ts';

/**
 * Options of {@link createOpenApiDocument}. `basePath`, `cookie`, `rateLimit` and
 * `revokeRateLimit` are those of {@link KitRoutesOptions}: pass the routes' own options, and the
 * document describes the routes as they run.
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
  /**
   * Cookie mode, as the routes are given it (`true`, or the same {@link CookieModeOptions}):
   * documents the cookie and its CSRF header, under the configured `header` name.
   * @default false
   */
  cookie?: boolean | CookieModeOptions;
  /** The routes' `rateLimit`: `false` leaves the 429 of `POST /token` out. @default a limit */
  rateLimit?: false | RateLimitOptions;
  /**
   * The routes' `revokeRateLimit`: `false` (or unset while `rateLimit` is `false`) leaves the 429
   * of `POST /revoke` out. @default a limit unless `rateLimit` is `false`
   */
  revokeRateLimit?: false | RateLimitOptions;
  /**
   * Whether the routes of {@link createHealthRoutes} are served at the root (documents `GET
   * /healthz` and `GET /readyz`). @default false
   */
  health?: boolean;
  /** More path items (the host's own routes, such as its login route), merged in. */
  paths?: Record<string, unknown>;
}

/**
 * The OpenAPI 3.1 document of the kit's routes (those of {@link createKitRoutes}), as a plain
 * object to serve as JSON or feed to any OpenAPI tool. Host routes can be merged in with `paths`.
 * It is made from the same route table as the routes, and follows the options they run with
 * (cookie mode and its header name, which rate limits are on).
 *
 * @example
 * ```ts
 * import { createKitRoutes, createOpenApiDocument, type KitRoutesOptions } from '@kit/hono';
 *
 * const routesOptions: KitRoutesOptions = { basePath: '/auth', baseUrl: 'https://example.com/auth', cookie: true };
 * app.route('/', createKitRoutes(kit, routesOptions));
 * const doc = createOpenApiDocument({ ...routesOptions, serverUrl: 'https://example.com' });
 * app.get('/openapi.json', (c) => c.json(doc));
 * ```
 */
export function createOpenApiDocument(options: OpenApiOptions = {}): Record<string, unknown> {
  const paths: Record<string, unknown> = {
    ...kitPaths(options),
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
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            '`Authorization: Bearer <access token>`. RFC 6750 answers: no credentials → 401 with `WWW-Authenticate: Bearer`; a bad, expired or wrong-audience token → 401 with `WWW-Authenticate: Bearer error="invalid_token"`; a malformed header → 400 `invalid_request`.',
        },
        dpop: {
          type: 'http',
          scheme: 'DPoP',
          description:
            '`Authorization: DPoP <access token>` with a `DPoP` proof header (RFC 9449 §7), for the tokens of a session bound to a DPoP key (`"token_type": "DPoP"`), when the kit has the `dpop` option. The proof names the request (`htm`, `htu`: the public URL without query) and the token (`ath`), and is used once. Refusals: 401 with `WWW-Authenticate: DPoP error="invalid_token"` or `error="invalid_dpop_proof"`, and `algs="..."`.',
        },
      },
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
            token_type: {
              type: 'string',
              enum: ['Bearer', 'DPoP'],
              description: '`DPoP` for a session bound to a DPoP key (RFC 9449 §5), else `Bearer`.',
            },
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
