import type { AuthKit, Session, TokenSet } from '@kit/core';

const SESSION_ID = '00000000-0000-4000-8000-000000000001';

/**
 * A stand-in for the AuthKit, for route tests that are about the routes themselves (which routes
 * exist, which middleware answers) and need no database. Every kit call is recorded in `calls`;
 * `refresh` answers one fixed token set, an access token `at` verifies to user `u1`.
 */
export function createStubKit(): { kit: AuthKit; calls: string[] } {
  const calls: string[] = [];
  const now = new Date('2030-01-01T00:00:00Z');
  const session: Session = {
    id: SESSION_ID,
    userId: 'u1',
    clientId: 'c1',
    createdAt: now,
    lastRefreshedAt: now,
    idleExpiresAt: new Date(now.getTime() + 3_600_000),
    absoluteExpiresAt: new Date(now.getTime() + 3_600_000),
    expiresAt: new Date(now.getTime() + 3_600_000),
    revokedAt: null,
    revokedReason: null,
    userAgent: null,
    ip: null,
    data: {},
    generation: 0,
    dpopJkt: null,
    status: 'active',
  };
  const tokens: TokenSet = {
    accessToken: 'at',
    tokenType: 'Bearer',
    expiresIn: 300,
    refreshToken: 'kit_rt_next',
    session,
  };
  const record =
    <T>(name: string, value: T) =>
    async () => {
      calls.push(name);
      return value;
    };
  const kit = {
    config: { issuer: 'https://issuer.example', jwksMaxAge: 60, dpop: null },
    refresh: record('refresh', tokens),
    revokeRefreshToken: record('revokeRefreshToken', undefined),
    verifyAccessToken: async (token: string) => {
      calls.push('verifyAccessToken');
      if (token !== 'at') throw new Error('not the stub access token');
      return { sub: 'u1', sid: SESSION_ID };
    },
    jwks: () => ({ keys: [] }),
    revocations: record('revocations', { etag: '"0"', body: '{}' }),
    sessions: {
      get: record('sessions.get', session),
      list: record('sessions.list', [session]),
      revoke: record('sessions.revoke', true),
      revokeAll: record('sessions.revokeAll', 1),
    },
  };
  return { kit: kit as unknown as AuthKit, calls };
}
