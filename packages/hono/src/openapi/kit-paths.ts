import { type CookieModeOptions, DEFAULT_COOKIE_HEADER } from '../cookie-mode.ts';
import { configuredRateLimits, type KitRoutesOptions } from '../options.ts';
import type { DocumentContext, KitRoute } from '../routes/kit-route.ts';
import { KIT_ROUTES } from '../routes/kit-routes.ts';
import { malformedAuth, rateLimited, unauthorized, unavailable } from './fragments.ts';
import type { OpenApiOperation, OpenApiPathItem, OpenApiResponse } from './openapi-types.ts';

/**
 * The path items of every route of the table ({@link KIT_ROUTES}) under `basePath`, as the routes
 * run with these options. @internal
 */
export function kitPaths(
  options: Pick<KitRoutesOptions, 'rateLimit' | 'revokeRateLimit'> & {
    basePath?: string;
    cookie?: boolean | CookieModeOptions;
  },
): Record<string, OpenApiPathItem> {
  const base = (options.basePath ?? '').replace(/\/+$/, '');
  const cookie = options.cookie;
  const context: DocumentContext = {
    cookieHeader:
      cookie === undefined || cookie === false
        ? undefined
        : ((cookie === true ? undefined : cookie.header) ?? DEFAULT_COOKIE_HEADER),
  };
  const limits = configuredRateLimits(options);
  const paths: Record<string, OpenApiPathItem> = {};
  for (const route of KIT_ROUTES) {
    // Hono's `:id` is OpenAPI's `{id}`.
    const path = base + route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    paths[path] = { ...paths[path], [route.method]: guardedOperation(route, context, limits) };
  }
  return paths;
}

/**
 * A route's operation with what its guard answers added: a rate limit's 429 (only while that limit
 * is configured) and 503 when its store is unreachable; the session check's Bearer or DPoP security,
 * 400, 401 and 503. The route's own description of a status wins.
 */
function guardedOperation(
  route: KitRoute,
  context: DocumentContext,
  limits: { token: boolean; revoke: boolean },
): OpenApiOperation {
  const { responses, ...operation } = route.operation(context);
  let security: OpenApiOperation['security'];
  let guarded: Record<string, OpenApiResponse> = {};
  if (route.guard === 'session') {
    // Either scheme: `DPoP` when the kit has the `dpop` option (RFC 9449 §7.1).
    security = [{ bearer: [] }, { dpop: [] }];
    guarded = { 400: malformedAuth, 401: unauthorized, 503: unavailable };
  } else if (route.guard === 'tokenLimit' || route.guard === 'revokeLimit') {
    const limited = route.guard === 'tokenLimit' ? limits.token : limits.revoke;
    if (limited) guarded = { 429: rateLimited, 503: unavailable };
  }
  return { ...operation, ...(security ? { security } : {}), responses: { ...guarded, ...responses } };
}
