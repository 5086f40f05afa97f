import { expectOAuthError, form, post } from '@kit/test-support/http';
import { describe, expect, it } from 'vitest';
import { useKitRoutesApp } from '../../test/kit-routes-app.ts';

describe('createKitRoutes', () => {
  const { f, app, open, refresh } = useKitRoutesApp();

  describe('POST /revoke', () => {
    it('revokes the session of a genuine token and answers 200 with an empty body and no-store', async () => {
      const s = await open();
      const res = await post(
        app,
        '/revoke',
        form({ token: s.refreshToken, token_type_hint: 'refresh_token' }),
      );
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('');
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect((await f.kit.sessions.get(s.session.id))?.status).toBe('revoked');
      await expectOAuthError(await refresh(s.refreshToken), 400, 'invalid_grant');
    });

    it('answers 200 for unknown, forged and access tokens (RFC 7009), revoking nothing', async () => {
      const s = await open();
      for (const token of ['kit_rt_unknown', 'whatever', s.accessToken, `${s.refreshToken.slice(0, -2)}zz`]) {
        const res = await post(app, '/revoke', JSON.stringify({ token }), 'application/json');
        expect(res.status).toBe(200);
        expect(res.headers.get('cache-control')).toBe('no-store');
      }
      expect((await f.kit.sessions.get(s.session.id))?.status).toBe('active');
    });

    it('answers 400 invalid_request without a token, with a repeated token or an unknown body type', async () => {
      const { refreshToken: t } = await open();
      for (const [body, type] of [
        ['', 'application/x-www-form-urlencoded'],
        [form({ token_type_hint: 'refresh_token' }), 'application/x-www-form-urlencoded'],
        [`token=${t}&token=${t}`, 'application/x-www-form-urlencoded'],
        [form({ token: t }), 'text/plain'],
      ] as const) {
        const res = await post(app, '/revoke', body, type);
        expect(res.headers.get('cache-control')).toBe('no-store');
        await expectOAuthError(res, 400, 'invalid_request');
      }
      await expectOAuthError(
        await post(app, '/revoke', form({ token: 'x'.repeat(17_000) })),
        413,
        'invalid_request',
      );
    });
  });
});
