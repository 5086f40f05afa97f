import { createKitOrm, createMikroOrmStore } from '@kit/core/mikro-orm';
import { testKeys, useMemoryKitFixture } from '@kit/test-support';
import { bearer, expectOAuthError, form, post } from '@kit/test-support/http';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { createBearerAuth } from './create-bearer-auth.ts';
import { createKitRoutes } from './create-kit-routes.ts';

describe('createKitRoutes', () => {
  const f = useMemoryKitFixture();

  const open = (userId = 'user-1') => f.kit.createSession({ userId });

  describe('when PostgreSQL is unreachable', () => {
    it('answers 503 temporarily_unavailable with Retry-After, while Bearer-only routes keep working', async () => {
      const down = await createKitOrm({
        databaseUrl: 'postgres://postgres@127.0.0.1:1/none',
        timeoutMs: 200,
      });
      try {
        const kit = await f.makeKit({ store: createMikroOrmStore({ orm: down }) });
        const live = await open('user-outage'); // minted by the same keys, while the database was up
        const app2 = new Hono();
        app2.route('/', createKitRoutes(kit, { rateLimit: false }));
        app2.get('/me', createBearerAuth({ kit }), (c) => c.json({ sub: c.var.claims.sub }));

        const started = Date.now();
        const checks: [Response | Promise<Response>, string][] = [
          [
            post(app2, '/token', form({ grant_type: 'refresh_token', refresh_token: live.refreshToken })),
            'token',
          ],
          [post(app2, '/revoke', form({ token: live.refreshToken })), 'revoke'],
          [app2.request('/sessions', { headers: bearer(live.accessToken) }), 'sessions'],
          [app2.request('/logout', { method: 'POST', headers: bearer(live.accessToken) }), 'logout'],
        ];
        for (const [pending, what] of checks) {
          const res = await pending;
          expect(res.headers.get('retry-after'), what).toMatch(/^\d+$/);
          await expectOAuthError(res, 503, 'temporarily_unavailable');
        }
        expect(Date.now() - started).toBeLessThan(5_000);
        const me = await app2.request('/me', { headers: bearer(live.accessToken) });
        expect(me.status).toBe(200);
        expect((await app2.request('/.well-known/jwks.json')).status).toBe(200);
      } finally {
        await down.close();
      }
      expect(await testKeys()).toBeDefined();
    });
  });
});
