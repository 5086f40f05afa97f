import { getConnInfo } from '@hono/node-server/conninfo';
import { type AuthKit, KitError, type TokenSet } from '@kit/core';
import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Users } from './users.ts';

/** RFC 6749 §5.2 error body, with `Cache-Control: no-store`. */
function oauthError(
  status: 400 | 401 | 413 | 503,
  error: string,
  description: string,
  headers: Record<string, string> = {},
) {
  return new Response(JSON.stringify({ error, error_description: description }), {
    status,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers },
  });
}

function tokenResponse(tokens: TokenSet): Response {
  return new Response(
    JSON.stringify({
      access_token: tokens.accessToken,
      token_type: tokens.tokenType,
      expires_in: tokens.expiresIn,
      refresh_token: tokens.refreshToken,
    }),
    {
      status: 200,
      headers: { 'content-type': 'application/json', 'cache-control': 'no-store', pragma: 'no-cache' },
    },
  );
}

/** Maps a kit error to the token endpoint's answer. Never echoes the token. */
function tokenError(error: unknown): Response {
  if (!(error instanceof KitError)) throw error;
  switch (error.code) {
    case 'ERR_REFRESH_TOKEN_MALFORMED':
    case 'ERR_REFRESH_TOKEN_INVALID':
    case 'ERR_REFRESH_TOKEN_REUSED':
    case 'ERR_SESSION_EXPIRED':
    case 'ERR_SESSION_REVOKED':
      return oauthError(400, 'invalid_grant', 'The refresh token is invalid, expired or revoked.');
    case 'ERR_INVALID_INPUT':
      return oauthError(400, 'invalid_request', 'The request is malformed.');
    case 'ERR_STORE_UNAVAILABLE':
      return oauthError(503, 'temporarily_unavailable', 'Try again shortly.', { 'retry-after': '5' });
    default:
      throw error;
  }
}

async function readParams(request: Request): Promise<Record<string, unknown> | undefined> {
  const type = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  try {
    if (type === 'application/x-www-form-urlencoded') {
      const form = new URLSearchParams(await request.text());
      const params: Record<string, unknown> = {};
      for (const key of new Set(form.keys())) {
        // RFC 6749 §3.1: parameters must not be repeated.
        const all = form.getAll(key);
        if (all.length !== 1) return undefined;
        params[key] = all[0];
      }
      return params;
    }
    if (type === 'application/json') {
      const body: unknown = JSON.parse(await request.text());
      return typeof body === 'object' && body !== null && !Array.isArray(body)
        ? (body as Record<string, unknown>)
        : undefined;
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/** The client's address as the socket sees it (the demo runs behind no proxy). */
function clientAddress(c: Context): string | undefined {
  try {
    return getConnInfo(c).remote.address;
  } catch {
    return undefined; // app.request() in tests has no socket
  }
}

/**
 * The demo's HTTP app: the token endpoint, the JWKS, a login route for the seeded users and a
 * protected `/me`.
 */
export function createApp(kit: AuthKit, users: Users): Hono {
  const app = new Hono();
  const limit = bodyLimit({
    maxSize: 16 * 1024,
    onError: () => oauthError(413, 'invalid_request', 'The request body is larger than 16 KiB.'),
  });

  app.get('/.well-known/jwks.json', (c) => {
    c.header('cache-control', 'public, max-age=300');
    return c.json(kit.jwks());
  });

  app.post('/token', limit, async (c) => {
    const params = await readParams(c.req.raw);
    if (!params)
      return oauthError(
        400,
        'invalid_request',
        'Send grant_type and refresh_token as a form or JSON object.',
      );
    if (params.grant_type !== 'refresh_token') {
      return typeof params.grant_type === 'string'
        ? oauthError(400, 'unsupported_grant_type', 'Only grant_type=refresh_token is supported.')
        : oauthError(400, 'invalid_request', 'grant_type is required.');
    }
    if (typeof params.refresh_token !== 'string' || params.refresh_token.length === 0) {
      return oauthError(400, 'invalid_request', 'refresh_token is required.');
    }
    try {
      return tokenResponse(
        await kit.refresh(params.refresh_token, {
          userAgent: c.req.header('user-agent'),
          ip: clientAddress(c),
        }),
      );
    } catch (error) {
      return tokenError(error);
    }
  });

  app.post('/login', limit, async (c) => {
    const body = await readParams(c.req.raw);
    if (!body || typeof body.username !== 'string' || typeof body.password !== 'string') {
      return oauthError(400, 'invalid_request', 'Send {"username","password"} as JSON.');
    }
    const userId = await users.authenticate(body.username, body.password);
    if (!userId) return c.json({ error: 'invalid_credentials' }, 401);
    try {
      return tokenResponse(
        await kit.createSession({ userId, userAgent: c.req.header('user-agent'), ip: clientAddress(c) }),
      );
    } catch (error) {
      return tokenError(error);
    }
  });

  app.get('/me', async (c) => {
    const header = c.req.header('authorization');
    if (!header) return c.body(null, 401, { 'www-authenticate': 'Bearer' });
    const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(header);
    if (!match) return oauthError(400, 'invalid_request', 'Malformed Authorization header.');
    try {
      return c.json(await kit.verifyAccessToken(match[1]!));
    } catch (error) {
      if (!(error instanceof KitError)) throw error;
      return c.body(null, 401, { 'www-authenticate': 'Bearer error="invalid_token"' });
    }
  });

  app.get('/', (c) =>
    c.text(
      'kit demo\n\nPOST /login {"username":"alice","password":"alice-password"}\nPOST /token grant_type=refresh_token&refresh_token=...\nGET /me (Bearer)\nGET /.well-known/jwks.json\n',
    ),
  );

  app.onError((error) => {
    // Never a stack or a message to the client: they could carry input back.
    console.error(`demo: request failed (${error instanceof KitError ? error.code : error.name})`);
    return oauthError(503, 'temporarily_unavailable', 'The server could not complete the request.', {
      'retry-after': '5',
    });
  });

  return app;
}
