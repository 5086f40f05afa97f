/**
 * `@kit/hono`: the kit over HTTP with Hono. The HTTP routes (`/token`, `/revoke`, the
 * JWKS, metadata, the revocation list, sessions, logout), the login helper, Bearer middleware that
 * runs at the edge, cookie mode for browsers, rate limits, the error table and the OpenAPI
 * document. Imports nothing Node-specific.
 *
 * @example
 * ```ts
 * import { createBearerAuth, createKitRoutes, type KitAuthEnv } from '@kit/hono';
 * import { Hono } from 'hono';
 *
 * const app = new Hono<KitAuthEnv>();
 * app.route('/', createKitRoutes(kit, { baseUrl: 'https://app.example.com', cookie: true }));
 * app.get('/me', createBearerAuth({ kit }), (c) => c.json(c.var.claims));
 * ```
 *
 * @module
 */

export { defaultClientAddress } from './client-address.ts';
export type { CookieModeOptions } from './cookie-mode.ts';
export { type BearerAuthOptions, createBearerAuth, type KitAuthEnv } from './create-bearer-auth.ts';
export { createHealthRoutes, type HealthRoutesOptions } from './create-health-routes.ts';
export { createKitRoutes } from './create-kit-routes.ts';
export { createLoginResponder, type LoginInput } from './create-login-responder.ts';
export { createMemoryRateLimitStore } from './create-memory-rate-limit-store.ts';
export { createOpenApiDocument, type OpenApiOptions } from './create-openapi-document.ts';
export { createRateLimit, type RateLimitOptions } from './create-rate-limit.ts';
export { createSessionAuth, type KitSessionEnv, type SessionAuthOptions } from './create-session-auth.ts';
export { KIT_ERROR_HTTP, type KitErrorHttp } from './error-table.ts';
export { kitErrorResponse } from './kit-error-response.ts';
export { MAX_BODY_BYTES } from './max-body-bytes.ts';
export { oauthErrorResponse, RETRY_AFTER_SECONDS } from './oauth-error-response.ts';
export type { KitRoutesOptions } from './options.ts';
export { rateLimitSubject } from './rate-limit-subject.ts';
export { type ReadParamsResult, readParams } from './read-params.ts';
export { renderApiReference } from './render-api-reference.ts';
export { type MarkdownReferenceOptions, renderMarkdownReference } from './render-markdown-reference.ts';
export type { RouteDpopOptions } from './request-auth.ts';
export { revocationListHandler } from './revocation-route.ts';
export type { KitRoutesSchema } from './routes/kit-routes.ts';
