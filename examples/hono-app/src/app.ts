import { type AuthKit, consoleLogger } from '@kit/core';
import {
  createBearerAuth,
  createKitRoutes,
  createLoginResponder,
  createRateLimit,
  type KitAuthEnv,
} from '@kit/hono';
import { Hono } from 'hono';
import type { CheckPassword } from './users.ts';

/**
 * The example's HTTP app:
 *
 * - the kit's routes: `POST /token` (rotation), `POST /revoke`, `GET /.well-known/jwks.json`,
 *   `GET /revocations`, the session routes and `POST /logout`;
 * - `POST /login`, the app's own password check, ending in a new session;
 * - `GET /me`, a protected route: the Bearer access token is verified, with no database access.
 */
export function createApp(kit: AuthKit, checkPassword: CheckPassword): Hono<KitAuthEnv> {
  const app = new Hono<KitAuthEnv>();
  // Failures (a 5xx answer) as one JSON line on stderr, with the error code; nothing is logged
  // without a logger. A pino logger fits here as well.
  const logger = consoleLogger;
  app.route('/', createKitRoutes(kit, { logger }));

  const respond = createLoginResponder(kit, { logger });
  app.post('/login', createRateLimit({ name: 'login', limit: 10, window: '1m', logger }), async (c) => {
    const body: unknown = await c.req.json().catch(() => undefined);
    const { username, password } = (body ?? {}) as { username?: unknown; password?: unknown };
    if (typeof username !== 'string' || typeof password !== 'string') {
      return c.json({ error: 'invalid_request', error_description: 'Send {"username","password"}.' }, 400);
    }
    const user = await checkPassword(username, password);
    if (!user) return c.json({ error: 'invalid_credentials' }, 401);
    // Opens a session and answers the token response (access token + refresh token).
    return respond(c, { userId: user.id });
  });

  app.get('/me', createBearerAuth({ kit, logger }), (c) =>
    c.json({ user: c.var.claims.sub, claims: c.var.claims }),
  );
  return app;
}
