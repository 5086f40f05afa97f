import { form } from '@kit/test-support/http';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { useKitRoutesApp } from '../../test/kit-routes-app.ts';
import { createKitRoutes } from '../create-kit-routes.ts';

describe('createKitRoutes', () => {
  const { f, app, open } = useKitRoutesApp();

  describe('discovery', () => {
    it('serves the public JWKS with Cache-Control: public, max-age', async () => {
      const res = await app.request('/.well-known/jwks.json');
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe(`public, max-age=${f.kit.config.jwksMaxAge}`);
      const { keys } = (await res.json()) as { keys: Record<string, unknown>[] };
      expect(keys.length).toBeGreaterThan(0);
      for (const key of keys) {
        for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) expect(key).not.toHaveProperty(secret);
      }
    });

    it('serves RFC 8414 metadata whose URLs follow the base path and the mount point', async () => {
      const nested = new Hono();
      nested.route('/api', createKitRoutes(f.kit, { basePath: '/auth', rateLimit: false }));
      const res = await nested.request('http://example.test/api/auth/.well-known/oauth-authorization-server');
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({
        issuer: 'https://auth.test',
        token_endpoint: 'http://example.test/api/auth/token',
        revocation_endpoint: 'http://example.test/api/auth/revoke',
        jwks_uri: 'http://example.test/api/auth/.well-known/jwks.json',
        grant_types_supported: ['refresh_token'],
        token_endpoint_auth_methods_supported: ['none'],
        revocation_endpoint_auth_methods_supported: ['none'],
      });
      const s = await open();
      const token = await nested.request('http://example.test/api/auth/token', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form({ grant_type: 'refresh_token', refresh_token: s.refreshToken }),
      });
      expect(token.status).toBe(200);
      expect((await nested.request('http://example.test/token', { method: 'POST' })).status).toBe(404);

      const fixed = createKitRoutes(f.kit, {
        baseUrl: 'https://public.example/auth/',
        basePath: '/auth',
        rateLimit: false,
      });
      const meta = (await (
        await fixed.request('http://internal:8080/auth/.well-known/oauth-authorization-server')
      ).json()) as Record<string, string>;
      expect(meta.token_endpoint).toBe('https://public.example/auth/token');
    });
  });
});
