import type { AuthKit, DpopReplayCache, RateLimitStore } from '@kit/core';
import {
  createBearerAuth,
  createHealthRoutes,
  createKitRoutes,
  createLoginResponder,
  createOpenApiDocument,
  createRateLimit,
  type KitAuthEnv,
  type KitRoutesOptions,
  MAX_BODY_BYTES,
  oauthErrorResponse,
  readParams,
  renderApiReference,
} from '@kit/hono';
import { Hono, type MiddlewareHandler } from 'hono';
import { type DemoLogger, errorCode } from './logger.ts';
import { type DemoMetrics, PROMETHEUS_CONTENT_TYPE } from './metrics.ts';
import { PAGE_HTML } from './page.ts';
import type { Users } from './users.ts';

/** Options of {@link createApp}. */
export interface DemoAppOptions {
  /** Where rate-limit counters live (the demo passes its PostgreSQL or Redis store). @default in memory */
  rateLimitStore?: RateLimitStore;
  /** Logins allowed per client address per minute; 0 turns the limit off. @default 20 */
  loginLimit?: number;
  /**
   * Requests allowed per client address per minute at `/token`, and separately at `/revoke`; 0
   * turns both limits off. @default 120
   */
  tokenLimit?: number;
  /**
   * Where the kit's routes, `/me`'s Bearer check, the rate limits and the app log failures: one
   * JSON line with an error code, never a token or a secret (the kit's lines carry
   * `component: "kit"`).
   * @default nothing is logged
   */
  logger?: DemoLogger;
  /**
   * What `GET /metrics` serves, in the Prometheus text format. It is open to anyone who can reach
   * the demo: in production, serve it on an internal address only. @default no `/metrics` route
   */
  metrics?: Pick<DemoMetrics, 'render'>;
  /**
   * Aborted when the server begins to shut down: `/readyz` answers 503 from then on, so load
   * balancers stop sending requests while those in flight finish.
   */
  shutdownSignal?: AbortSignal;
  /**
   * Where the DPoP proofs sent with access tokens are remembered, so that none is taken twice:
   * `me` for `GET /me`, `sessions` for the session routes (`GET /sessions`, `DELETE /sessions/:id`,
   * `POST /logout`). The demo passes them as `chooseDpopReplayCaches` picks them.
   * @default each in this process's memory
   */
  dpopReplayCaches?: { me?: DpopReplayCache; sessions?: DpopReplayCache };
  /**
   * The demo's public address (KIT_ISSUER when it is a URL): the routes' `baseUrl`, and the one
   * origin cookie mode allows. @default none: cookie mode allows loopback origins only
   */
  publicUrl?: string;
}

// The page's own script is inline: allow exactly that, and nothing from elsewhere.
const PAGE_CSP =
  "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/**
 * The demo's HTTP app: the kit's routes (with cookie mode for the page), `POST /login` for the
 * seeded users, `GET /me`, `GET /healthz` and `GET /readyz`, `GET /metrics`, the web page at `/`,
 * the OpenAPI document and its reference page.
 */
export function createApp(kit: AuthKit, users: Users, options: DemoAppOptions = {}): Hono {
  const store = options.rateLimitStore ? { store: options.rateLimitStore } : {};
  const kitLog = options.logger?.child({ component: 'kit' });
  const demoLog = options.logger?.child({ component: 'demo' });
  const logger = kitLog ? { logger: kitLog } : {};
  const tokenLimit = options.tokenLimit ?? 120;
  const loginLimit = options.loginLimit ?? 20;
  const routesOptions: KitRoutesOptions = {
    // Behind a public address (KIT_ISSUER), cookie mode allows that origin. Otherwise the page is
    // opened on localhost, on a port chosen at start (PORT=0 in tests): cookie mode allows the
    // page's own loopback origin and nothing else.
    ...(options.publicUrl
      ? { baseUrl: options.publicUrl, cookie: true }
      : { cookie: { localDevelopment: true } }),
    // KIT_RATE_LIMIT_TOKEN: /token and /revoke allow the same number a minute, counted apart.
    rateLimit:
      tokenLimit === 0 ? false : { ...store, ...logger, name: 'token', limit: tokenLimit, window: '1m' },
    revokeRateLimit:
      tokenLimit === 0 ? false : { ...store, ...logger, name: 'revoke', limit: tokenLimit, window: '1m' },
    // The session routes take DPoP-bound tokens with their proofs (the kit has its dpop option).
    ...(options.dpopReplayCaches?.sessions
      ? { dpop: { replayCache: options.dpopReplayCaches.sessions } }
      : {}),
    ...logger,
  };
  const app = new Hono<KitAuthEnv>();
  const signal = options.shutdownSignal ? { signal: options.shutdownSignal } : {};
  app.route('/', createHealthRoutes({ kit, ...signal }));
  app.route('/', createKitRoutes(kit, routesOptions));

  const respond = createLoginResponder(kit, routesOptions);
  const limitLogins: MiddlewareHandler =
    loginLimit === 0
      ? async (_c, next) => next()
      : createRateLimit({ ...store, ...logger, name: 'login', limit: loginLimit, window: '1m' });
  app.post('/login', limitLogins, async (c) => {
    const read = await readParams(c.req.raw, { maxBytes: MAX_BODY_BYTES });
    if ('error' in read && read.error === 'too_large') {
      return oauthErrorResponse(413, 'invalid_request', 'The request body is larger than 16 KiB.');
    }
    const body = 'params' in read ? read.params : undefined;
    if (!body || typeof body.username !== 'string' || typeof body.password !== 'string') {
      return oauthErrorResponse(400, 'invalid_request', 'Send {"username","password"} as JSON.');
    }
    const userId = await users.authenticate(body.username, body.password);
    if (!userId) return c.json({ error: 'invalid_credentials' }, 401, { 'cache-control': 'no-store' });
    return respond(c, { userId });
  });

  // Bearer tokens, and DPoP-bound ones with a proof by their key (RFC 9449 §7): `htu` is checked
  // against the public address when there is one, and a bound token sent as Bearer is refused.
  const meAuth = createBearerAuth({
    kit,
    ...logger,
    dpop: {
      ...(options.publicUrl ? { baseUrl: options.publicUrl } : {}),
      ...(options.dpopReplayCaches?.me ? { replayCache: options.dpopReplayCaches.me } : {}),
    },
  });
  app.get('/me', meAuth, (c) => c.json(c.var.claims));

  const metrics = options.metrics;
  if (metrics) {
    app.get('/metrics', async (c) =>
      c.body(await metrics.render(), 200, {
        'content-type': PROMETHEUS_CONTENT_TYPE,
        'cache-control': 'no-store',
      }),
    );
  }

  const openapi = createOpenApiDocument({
    // The routes' own options: the document shows cookie mode and the rate limits as they run.
    ...routesOptions,
    title: 'kit demo API',
    health: true,
    paths: {
      '/login': {
        post: {
          tags: ['demo'],
          summary: 'Log in a seeded user (alice / alice-password, bob / bob-password)',
          description:
            'Answers the token response. With `X-Kit-Cookie: 1` the refresh token is set in the HttpOnly cookie instead. Rate limited per client address.',
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['username', 'password'],
                  properties: { username: { type: 'string' }, password: { type: 'string' } },
                },
              },
            },
          },
          responses: {
            200: { description: 'Token response' },
            400: { description: '`invalid_request`' },
            401: { description: '`{"error":"invalid_credentials"}`' },
            429: { description: '`too_many_requests`, with `Retry-After`' },
          },
        },
      },
      '/me': {
        get: {
          tags: ['demo'],
          summary: "The access token's verified claims (no database access)",
          description:
            "Takes `Authorization: Bearer <token>`, or, for a DPoP-bound session, `Authorization: DPoP <token>` with a `DPoP` proof for this request whose `ath` is the token's SHA-256 (RFC 9449). A bound token sent as Bearer is refused.",
          security: [{ bearer: [] }],
          responses: {
            200: { description: 'Claims' },
            400: { description: 'Malformed `Authorization` header' },
            401: { description: 'RFC 6750 challenge, or `WWW-Authenticate: DPoP error="..."` (RFC 9449)' },
          },
        },
      },
    },
  });
  const reference = renderApiReference(openapi);
  app.get('/openapi.json', (c) => c.json(openapi));
  app.get('/docs', (c) => c.html(reference, 200, { 'content-security-policy': PAGE_CSP }));
  app.get('/', (c) =>
    c.html(PAGE_HTML, 200, {
      'content-security-policy': PAGE_CSP,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    }),
  );

  app.onError((error, c) => {
    // Never a stack or a message, to the client or the log: they could carry input back.
    demoLog?.error(
      { code: errorCode(error), method: c.req.method, route: c.req.routePath },
      'demo: request failed',
    );
    return oauthErrorResponse(500, 'server_error', 'The server could not complete the request.');
  });

  return app as unknown as Hono;
}
