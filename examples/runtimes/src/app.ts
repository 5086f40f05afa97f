/**
 * The API a Bun or Deno service puts behind the kit's Bearer middleware: no database, no secret,
 * only the auth server's public keys from its JWKS URL. Every route under `/api/` needs
 * `Authorization: Bearer <access token>`; the answers follow RFC 6750 (401 with a challenge).
 */
import { createBearerAuth, type KitAuthEnv } from '@kit/hono';
import { Hono } from 'hono';

/** Where the auth server is, and who this API is. */
export interface ApiOptions {
  /** The auth server's issuer, e.g. `https://auth.example.com`. */
  issuer: string;
  /** This API's audience. */
  audience: string;
  /** The auth server's JWKS, e.g. `https://auth.example.com/.well-known/jwks.json`. */
  jwksUrl: string;
}

/** The Hono app: `GET /api/me` answers `{"user": sub, "session": sid}` for a valid token. */
export function createApi(options: ApiOptions): Hono<KitAuthEnv> {
  const app = new Hono<KitAuthEnv>();
  app.use('/api/*', createBearerAuth(options));
  app.get('/api/me', (c) => c.json({ user: c.var.claims.sub, session: c.var.claims.sid }));
  return app;
}
