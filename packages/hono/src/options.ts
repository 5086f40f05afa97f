import { KitInvalidOptionsError, type KitLogger } from '@kit/core';
import type { RequestDpopOptions } from '@kit/core/verify';
import type { Context, MiddlewareHandler } from 'hono';
import { type CookieMode, type CookieModeOptions, parseUrl, resolveCookieMode } from './cookie-mode.ts';
import { createRateLimit, type RateLimitOptions } from './create-rate-limit.ts';
import { checkLogger } from './logger.ts';
import { tokenRoute } from './routes/token-route.ts';

/**
 * Options of {@link createKitRoutes} and {@link createLoginResponder}. Pass the same object to
 * both, so the login route sets the cookie the token endpoint reads.
 */
export interface KitRoutesOptions {
  /**
   * Path the routes are served under, e.g. `'/auth'` for `/auth/token`. Mount the routes with
   * `app.route('/', routes)`.
   * @default '' (the root)
   */
  basePath?: string;
  /**
   * Absolute public URL of `basePath`, e.g. `'https://example.com/auth'`, used in the metadata
   * document, as the default allowed origin of cookie mode, and for DPoP proofs (RFC 9449): the
   * `htu` a proof at `POST /token` must carry is this URL followed by `/token`, and the login
   * helper's is this URL's origin followed by the login request's path. Set it behind a proxy,
   * where the request URL the server sees is not the one the client used.
   * @default derived from each request's URL
   */
  baseUrl?: string;
  /**
   * DPoP proofs (RFC 9449) sent with access tokens to the routes behind {@link createSessionAuth}
   * (`GET /sessions`, `DELETE /sessions/:id`, `POST /logout`) when the kit has the `dpop` option;
   * without it those routes take `Bearer` only, and this is not used. `replayCache`, `maxAge`,
   * `clockTolerance` and `clock` are those of `createRequestVerifier`; `algorithms` default to the
   * kit's, and `replayCache` to the kit's when that one is shared by every instance (PostgreSQL,
   * Redis: a fleet's cache then covers these routes too), else to a memory cache of the routes'
   * own. A proof's `htu` must be `baseUrl` followed by the route's path (`/sessions`, ...), or the
   * request's own URL without `baseUrl`. `POST /token` and the login helper check their proofs
   * with the kit's `dpop` option.
   * @default the kit's algorithms; the kit's replay cache when shared, else this process's memory
   * (one cache for the three routes)
   */
  dpop?: RequestDpopOptions;
  /**
   * Cookie mode for browser clients (see {@link CookieModeOptions}). It needs `baseUrl` or
   * `cookie.allowedOrigins` (or `cookie.localDevelopment` on a developer's machine): without
   * them the factory throws.
   * @default false
   */
  cookie?: boolean | CookieModeOptions;
  /**
   * Rate limit of `POST /token` per client address, or `false` for none. Its `name` defaults to
   * `'token'`, `limit` to 60 per `window` of `'1m'`.
   * @default 60 per minute in an in-memory store
   */
  rateLimit?: false | RateLimitOptions;
  /**
   * Rate limit of `POST /revoke` per client address, or `false` for none: over it, 429
   * `too_many_requests` with `Retry-After`, before the body is read. Counted apart from `/token`
   * (its `name` defaults to `'revoke'`); its `store`, `clock`, `clientAddress` and `logger` default
   * to those of `rateLimit`, so a shared store set there limits both routes fleet-wide, even when
   * `rateLimit` sets no limit of its own. A revoke can cost a
   * chain walk (proving an old token genuine), so an unlimited `/revoke` lets one client spend the
   * server's CPU.
   * @default 60 per minute, in `rateLimit`'s store (or an in-memory one); none when `rateLimit` is
   * `false` and this is left unset
   */
  revokeRateLimit?: false | RateLimitOptions;
  /**
   * The client's address, recorded on sessions and used by the rate limit.
   * @default `defaultClientAddress` (the socket's address)
   */
  clientAddress?: (c: Context) => string | undefined;
  /**
   * Where the routes, their rate limits and cookie mode log (a pino logger fits): a 5xx answer as
   * `{ code, status }` with `kit: request failed` (warn for a 503, error for a 500), a revocation
   * list that could not be read, a setting that does not fit the requests seen. Every failure line
   * carries the error's code (or class name); no line carries a token, a secret, a key, a hash or
   * an error message.
   * @default none: nothing is written
   */
  logger?: KitLogger;
}

/** Options checked once. @internal */
export interface ResolvedRoutesOptions {
  basePath: string;
  baseUrl: string | undefined;
  dpop: RequestDpopOptions | undefined;
  cookie: CookieMode | undefined;
  rateLimit: MiddlewareHandler | undefined;
  revokeRateLimit: MiddlewareHandler | undefined;
  clientAddress: ((c: Context) => string | undefined) | undefined;
  logger: KitLogger;
}

/** Validates the options; throws naming what to set. @internal */
export function resolveRoutesOptions(options: KitRoutesOptions = {}): ResolvedRoutesOptions {
  if (typeof options !== 'object' || options === null)
    throw new KitInvalidOptionsError('The options must be an object.');
  const basePath = (options.basePath ?? '').replace(/\/+$/, '');
  if (basePath !== '' && !/^(\/[A-Za-z0-9._~-]+)+$/.test(basePath)) {
    throw new KitInvalidOptionsError('Set `basePath` to a path like "/auth" (or leave it out for the root).');
  }
  let baseUrl: string | undefined;
  if (options.baseUrl !== undefined) {
    const url = parseUrl(options.baseUrl);
    if (url?.protocol !== 'https:' && url?.protocol !== 'http:') {
      throw new KitInvalidOptionsError('Set `baseUrl` to the absolute http(s) URL the routes are served at.');
    }
    baseUrl = url.href.replace(/\/+$/, '');
  }
  const dpop = options.dpop;
  if (dpop !== undefined && (typeof dpop !== 'object' || dpop === null || Array.isArray(dpop))) {
    throw new KitInvalidOptionsError(
      'Set `dpop` to the options of the DPoP proofs the session routes take ({ replayCache, maxAge, ... }), or leave it out.',
    );
  }
  const clientAddress = options.clientAddress;
  if (clientAddress !== undefined && typeof clientAddress !== 'function') {
    throw new KitInvalidOptionsError('`clientAddress` must be a function (c) => string | undefined.');
  }
  const logger = checkLogger(options.logger, 'createKitRoutes', options);
  const limits = configuredRateLimits(options);
  const rateLimit = limits.token
    ? createRateLimit({
        name: 'token',
        limit: 60,
        window: '1m',
        logger,
        ...(clientAddress ? { clientAddress } : {}),
        ...options.rateLimit,
      })
    : undefined;
  // /revoke shares the /token limit's store (a shared store set once covers both) but not its
  // counters, nor its limit or window.
  const shared = options.rateLimit || {};
  const revokeRateLimit = limits.revoke
    ? createRateLimit({
        name: 'revoke',
        limit: 60,
        window: '1m',
        logger: shared.logger ?? logger,
        ...(shared.store ? { store: shared.store } : {}),
        ...(shared.clock ? { clock: shared.clock } : {}),
        ...((shared.clientAddress ?? clientAddress)
          ? { clientAddress: shared.clientAddress ?? clientAddress }
          : {}),
        ...options.revokeRateLimit,
      })
    : undefined;
  return {
    basePath,
    baseUrl,
    dpop,
    cookie: resolveCookieMode(options.cookie, `${basePath}${tokenRoute.path}`, baseUrl),
    rateLimit,
    revokeRateLimit,
    clientAddress,
    logger,
  };
}

/**
 * Which rate limits the routes run with: `/token`'s unless `rateLimit` is `false`; `/revoke`'s
 * unless `revokeRateLimit` is `false`, or is unset while `rateLimit` is `false`. @internal
 */
export function configuredRateLimits(options: Pick<KitRoutesOptions, 'rateLimit' | 'revokeRateLimit'>): {
  token: boolean;
  revoke: boolean;
} {
  return {
    token: options.rateLimit !== false,
    // Unset, the /revoke limit follows `rateLimit: false` too: a host that limits elsewhere (a
    // proxy, a gateway) and turned the kit's limit off does not get one back on /revoke.
    revoke:
      options.revokeRateLimit !== false &&
      !(options.revokeRateLimit === undefined && options.rateLimit === false),
  };
}
