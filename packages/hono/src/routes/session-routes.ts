import type { Session } from '@kit/core';
import type { TypedResponse } from 'hono';
import type { BlankInput } from 'hono/types';
import { clearedCookie } from '../cookie-mode.ts';
import { oauthErrorResponse } from '../oauth-error-response.ts';
import { oauthError } from '../openapi/fragments.ts';
import type { Answers, KitRoute } from './kit-route.ts';

/** The public view of a session in `GET /sessions`. */
export interface SessionView {
  id: string;
  created_at: string;
  last_used_at: string;
  expires_at: string;
  user_agent: string | null;
  ip: string | null;
  current: boolean;
}

function sessionView(session: Session, currentId: string): SessionView {
  return {
    id: session.id,
    created_at: session.createdAt.toISOString(),
    last_used_at: session.lastRefreshedAt.toISOString(),
    expires_at: session.expiresAt.toISOString(),
    user_agent: session.userAgent,
    ip: session.ip,
    current: session.id === currentId,
  };
}

/** `GET /sessions`: the caller's active sessions. @internal */
export const listSessionsRoute: KitRoute<
  'get',
  '/sessions',
  BlankInput,
  Answers<TypedResponse<{ sessions: SessionView[] }, 200, 'json'>>
> = {
  method: 'get',
  path: '/sessions',
  guard: 'session',
  handler:
    ({ kit }) =>
    async (c) => {
      const current = c.var.claims.sid;
      const sessions = await kit.sessions.list(c.var.claims.sub, { status: 'active' });
      c.header('cache-control', 'no-store');
      return c.json({ sessions: sessions.map((s) => sessionView(s, current)) });
    },
  operation: () => ({
    tags: ['sessions'],
    summary: "The caller's active sessions (devices)",
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
    },
  }),
};

/** `DELETE /sessions/:id`: revokes one of the caller's sessions. @internal */
export const revokeSessionRoute: KitRoute<
  'delete',
  '/sessions/:id',
  BlankInput,
  Answers<TypedResponse<null, 204, 'body'>>
> = {
  method: 'delete',
  path: '/sessions/:id',
  guard: 'session',
  handler:
    ({ kit, options: o }) =>
    async (c) => {
      const id = c.req.param('id') as string;
      // Scoped to the caller's user: another user's session id is as unknown as a random one, and
      // the kit answers `null` to an id that is not a session id without asking the store.
      const revoked = await kit.sessions.revoke(id, { userId: c.var.claims.sub, reason: 'revoked' });
      if (!revoked) return oauthErrorResponse(404, 'not_found', 'No such session.');
      const headers: Record<string, string> = {};
      if (id === c.var.claims.sid && o.cookie) headers['set-cookie'] = clearedCookie(o.cookie);
      return c.body(null, 204, headers);
    },
  operation: () => ({
    tags: ['sessions'],
    summary: 'Revoke one of the caller’s sessions',
    parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }],
    responses: {
      204: { description: 'Revoked' },
      404: oauthError('Unknown id, or another user’s session', ['not_found']),
    },
  }),
};

/** `POST /logout?scope=local|others|global`. @internal */
export const logoutRoute: KitRoute<
  'post',
  '/logout',
  { in: { query: { scope?: 'local' | 'others' | 'global' } } },
  Answers<TypedResponse<null, 204, 'body'>>
> = {
  method: 'post',
  path: '/logout',
  guard: 'session',
  handler:
    ({ kit, options: o }) =>
    async (c) => {
      const scope = c.req.queries('scope');
      if (scope !== undefined && scope.length !== 1) {
        return oauthErrorResponse(400, 'invalid_request', 'scope must be given at most once.');
      }
      const value = scope?.[0] ?? 'local';
      const { sub, sid } = c.var.claims;
      if (value === 'local') await kit.sessions.revoke(sid, { userId: sub, reason: 'logout' });
      else if (value === 'others') await kit.sessions.revokeAll(sub, { except: sid, reason: 'logout' });
      else if (value === 'global') await kit.sessions.revokeAll(sub, { reason: 'logout' });
      else return oauthErrorResponse(400, 'invalid_request', 'scope must be local, others or global.');
      const headers: Record<string, string> = {};
      if (value !== 'others' && o.cookie) headers['set-cookie'] = clearedCookie(o.cookie);
      return c.body(null, 204, headers);
    },
  operation: () => ({
    tags: ['sessions'],
    summary: 'Log out this session, all others, or all',
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
      400: oauthError('Bad scope or malformed `Authorization` header', ['invalid_request']),
    },
  }),
};
