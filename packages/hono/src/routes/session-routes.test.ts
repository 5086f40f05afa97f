import { bearer, expectOAuthError } from '@kit/test-support/http';
import { describe, expect, it } from 'vitest';
import { useKitRoutesApp } from '../../test/kit-routes-app.ts';

describe('createKitRoutes', () => {
  const { f, app, open } = useKitRoutesApp();

  describe('sessions', () => {
    it("GET /sessions lists the caller's active sessions only, marking the current one", async () => {
      const userId = 'user-list';
      const a = await f.kit.createSession({ userId, userAgent: 'Firefox', ip: '203.0.113.9' });
      const b = await f.kit.createSession({ userId });
      const gone = await f.kit.createSession({ userId });
      await f.kit.sessions.revoke(gone.session.id);
      await f.kit.createSession({ userId: 'someone-else' });
      const res = await app.request('/sessions', { headers: bearer(a.accessToken) });
      expect(res.status).toBe(200);
      const { sessions } = (await res.json()) as { sessions: Record<string, unknown>[] };
      expect(sessions.map((s) => s.id).sort()).toEqual([a.session.id, b.session.id].sort());
      const mine = sessions.find((s) => s.id === a.session.id)!;
      expect(mine).toEqual({
        id: a.session.id,
        created_at: a.session.createdAt.toISOString(),
        last_used_at: a.session.lastRefreshedAt.toISOString(),
        expires_at: a.session.expiresAt.toISOString(),
        user_agent: 'Firefox',
        ip: '203.0.113.9',
        current: true,
      });
      expect(sessions.find((s) => s.id === b.session.id)?.current).toBe(false);
    });

    it('answers RFC 6750 challenges: 401 Bearer, 401 invalid_token, 400 invalid_request', async () => {
      const s = await open('user-challenge');
      const none = await app.request('/sessions');
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toBe('Bearer');

      const otherAudience = await f.makeKit({ audience: 'https://other.test' });
      const wrongAud = (await otherAudience.createSession({ userId: 'user-challenge' })).accessToken;
      const otherKeys = await f.makeKit({
        signingKeys: await (await import('@kit/core')).generateSigningKeys(),
      });
      const wrongKey = (await otherKeys.createSession({ userId: 'user-challenge' })).accessToken;
      const tampered = `${s.accessToken.slice(0, -4)}AAAA`;
      const [h, p] = s.accessToken.split('.');
      const noneAlg = `${btoa(JSON.stringify({ alg: 'none', typ: 'at+jwt', kid: 'x' })).replace(/=+$/, '')}.${p}.`;
      for (const token of [tampered, wrongAud, wrongKey, noneAlg, `${h}.${p}`, 'abc']) {
        const res = await app.request('/sessions', { headers: bearer(token) });
        expect(res.status).toBe(401);
        expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
        const text = await res.text();
        expect(text).not.toContain(token);
        expect(JSON.parse(text).error).toBe('invalid_token');
      }
      for (const header of [
        'Basic YWxpY2U6eA==',
        'Bearer',
        'Bearer ',
        'Bearer a b',
        `Bearer ${s.accessToken}, Bearer x`,
        'Token abc',
      ]) {
        const res = await app.request('/sessions', { headers: { authorization: header } });
        expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_request"');
        await expectOAuthError(res, 400, 'invalid_request');
      }
      // Expired (fake clock past exp + tolerance).
      const fresh = await open('user-challenge');
      f.clock.advance(306_000);
      const expired = await app.request('/sessions', { headers: bearer(fresh.accessToken) });
      expect(expired.status).toBe(401);
      expect(expired.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    });

    it('refuses a valid access token whose session was revoked (strict check)', async () => {
      const s = await open('user-strict');
      await f.kit.sessions.revoke(s.session.id);
      const res = await app.request('/sessions', { headers: bearer(s.accessToken) });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    });

    it("DELETE /sessions/:id revokes one of the caller's sessions; 404 for unknown or another user's", async () => {
      const me = await open('user-del');
      const other = await open('user-del');
      const stranger = await open('user-stranger');
      const del = (id: string) =>
        app.request(`/sessions/${id}`, { method: 'DELETE', headers: bearer(me.accessToken) });

      const ok = await del(other.session.id);
      expect(ok.status).toBe(204);
      expect((await f.kit.sessions.get(other.session.id))?.status).toBe('revoked');
      await expectOAuthError(await del(other.session.id), 404, 'not_found'); // already revoked
      await expectOAuthError(await del(stranger.session.id), 404, 'not_found');
      expect((await f.kit.sessions.get(stranger.session.id))?.status).toBe('active');
      await expectOAuthError(await del('00000000-0000-4000-8000-000000000000'), 404, 'not_found');
      await expectOAuthError(await del('not-a-uuid'), 404, 'not_found');
      const anonymous = await app.request(`/sessions/${me.session.id}`, { method: 'DELETE' });
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
    });

    it('POST /logout ends this session, the others, or all of them', async () => {
      const userId = 'user-logout';
      const [a, b, c] = [await open(userId), await open(userId), await open(userId)];
      const logout = (token: string, scope?: string) =>
        app.request(`/logout${scope ? `?scope=${scope}` : ''}`, { method: 'POST', headers: bearer(token) });

      expect((await logout(a.accessToken, 'others')).status).toBe(204);
      expect((await f.kit.sessions.list(userId)).map((s) => s.id)).toEqual([a.session.id]);
      expect((await logout(a.accessToken)).status).toBe(204); // local by default
      expect(await f.kit.sessions.count(userId)).toBe(0);

      const [d, e] = [await open(userId), await open(userId)];
      expect((await logout(d.accessToken, 'local')).status).toBe(204);
      expect((await f.kit.sessions.list(userId)).map((s) => s.id)).toEqual([e.session.id]);
      const g = await open(userId);
      expect((await logout(g.accessToken, 'global')).status).toBe(204);
      expect(await f.kit.sessions.count(userId)).toBe(0);

      const h = await open(userId);
      await expectOAuthError(await logout(h.accessToken, 'everything'), 400, 'invalid_request');
      await expectOAuthError(
        await app.request('/logout?scope=local&scope=global', {
          method: 'POST',
          headers: bearer(h.accessToken),
        }),
        400,
        'invalid_request',
      );
      expect((await app.request('/logout', { method: 'POST' })).status).toBe(401);
      expect((await logout(b.accessToken)).status).toBe(401); // b was ended by "others"
      expect(c).toBeDefined();
    });
  });
});
