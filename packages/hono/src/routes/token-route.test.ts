import { expectOAuthError, form, post, type TokenBody } from '@kit/test-support/http';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { useKitRoutesApp } from '../../test/kit-routes-app.ts';

describe('createKitRoutes', () => {
  const { f, app, open, refresh } = useKitRoutesApp();

  describe('POST /token', () => {
    it('rotates a refresh token sent as a form, with no-store', async () => {
      const first = await open();
      const res = await refresh(first.refreshToken);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      const body = (await res.json()) as TokenBody;
      expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 300 });
      expect(body.refresh_token).toMatch(/^kit_rt_/);
      expect(body.refresh_token).not.toBe(first.refreshToken);
      expect((await f.kit.verifyAccessToken(body.access_token)).sid).toBe(first.session.id);
    });

    it('accepts JSON and extra parameters such as client_id', async () => {
      const first = await open();
      const res = await post(
        app,
        '/token',
        JSON.stringify({ grant_type: 'refresh_token', refresh_token: first.refreshToken, client_id: 'spa' }),
        'application/json; charset=utf-8',
      );
      expect(res.status).toBe(200);
    });

    it('answers the previous token within the grace window with the identical current token', async () => {
      const first = await open();
      const a = (await (await refresh(first.refreshToken)).json()) as TokenBody;
      f.clock.advance(5_000);
      const b = (await (await refresh(first.refreshToken)).json()) as TokenBody;
      expect(b.refresh_token).toBe(a.refresh_token);
    });

    it('revokes the session when an old token is replayed after the grace window', async () => {
      const first = await open();
      const second = (await (await refresh(first.refreshToken)).json()) as TokenBody;
      f.clock.advance(11_000);
      await expectOAuthError(await refresh(first.refreshToken), 400, 'invalid_grant');
      // The current token stopped working too: the whole session is revoked.
      await expectOAuthError(await refresh(second.refresh_token!), 400, 'invalid_grant');
      expect((await f.kit.sessions.get(first.session.id))?.revokedReason).toBe('refresh_token_reused');
    });

    it('answers invalid_grant for expired, revoked, unknown and forged tokens, changing nothing', async () => {
      const forged = (await open()).refreshToken;
      const flipped = `${forged.slice(0, -2)}${forged.endsWith('AA') ? 'BB' : 'AA'}`;
      await expectOAuthError(await refresh(flipped), 400, 'invalid_grant');
      expect((await refresh(forged)).status).toBe(200); // the forged neighbour revoked nothing

      await expectOAuthError(await refresh('kit_rt_garbage'), 400, 'invalid_grant');
      await expectOAuthError(await refresh('x'.repeat(5000)), 400, 'invalid_grant');

      const revoked = await open();
      await f.kit.sessions.revoke(revoked.session.id);
      await expectOAuthError(await refresh(revoked.refreshToken), 400, 'invalid_grant');

      const expiring = await open();
      f.clock.advance(31 * 86_400_000);
      await expectOAuthError(await refresh(expiring.refreshToken), 400, 'invalid_grant');
    });

    it('answers malformed requests with invalid_request or unsupported_grant_type, no-store, no echo', async () => {
      const { refreshToken: t } = await open();
      const cases: [string, string, number, string][] = [
        [
          form({ grant_type: 'password', username: 'a' }),
          'application/x-www-form-urlencoded',
          400,
          'unsupported_grant_type',
        ],
        [
          form({ grant_type: 'authorization_code', code: t }),
          'application/x-www-form-urlencoded',
          400,
          'unsupported_grant_type',
        ],
        [form({ refresh_token: t }), 'application/x-www-form-urlencoded', 400, 'invalid_request'],
        [form({ grant_type: 'refresh_token' }), 'application/x-www-form-urlencoded', 400, 'invalid_request'],
        [
          form({ grant_type: 'refresh_token', refresh_token: '' }),
          'application/x-www-form-urlencoded',
          400,
          'invalid_request',
        ],
        [
          `grant_type=refresh_token&refresh_token=${t}&refresh_token=${t}`,
          'application/x-www-form-urlencoded',
          400,
          'invalid_request',
        ],
        [
          `grant_type=refresh_token&grant_type=refresh_token&refresh_token=${t}`,
          'application/x-www-form-urlencoded',
          400,
          'invalid_request',
        ],
        ['{not json', 'application/json', 400, 'invalid_request'],
        ['[1,2]', 'application/json', 400, 'invalid_request'],
        [
          JSON.stringify({ grant_type: 'refresh_token', refresh_token: 42 }),
          'application/json',
          400,
          'invalid_request',
        ],
        [form({ grant_type: 'refresh_token', refresh_token: t }), 'text/plain', 400, 'invalid_request'],
        [form({ grant_type: 'refresh_token', refresh_token: t }), '', 400, 'invalid_request'],
        [
          form({ grant_type: 'refresh_token', refresh_token: 'x'.repeat(17_000) }),
          'application/x-www-form-urlencoded',
          413,
          'invalid_request',
        ],
      ];
      for (const [body, type, status, error] of cases) {
        const res = await post(app, '/token', body, type);
        expect(res.headers.get('cache-control'), body.slice(0, 40)).toBe('no-store');
        await expectOAuthError(res, status, error);
      }
      // The token is still good: none of the above consumed or revoked it.
      expect((await refresh(t)).status).toBe(200);
    });

    it('answers 413 to a streamed body over 16 KiB without a Content-Length', async () => {
      const chunk = new TextEncoder().encode(`grant_type=refresh_token&refresh_token=${'a'.repeat(4096)}`);
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < 5; i++) controller.enqueue(chunk);
          controller.close();
        },
      });
      const res = await app.request('/token', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
        duplex: 'half',
      } as RequestInit);
      await expectOAuthError(res, 413, 'invalid_request');
    });

    it('never answers 500 and never echoes a token, whatever the body (property)', async () => {
      const { refreshToken: t } = await open('user-prop');
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.string(),
            fc.string().map((s) => `grant_type=refresh_token&refresh_token=${encodeURIComponent(s)}`),
            fc.string().map((s) => `grant_type=refresh_token&refresh_token=kit_rt_${s}`),
            fc.jsonValue().map((v) => JSON.stringify(v)),
            fc.constant(`grant_type=refresh_token&refresh_token=${t.slice(0, -1)}`),
          ),
          fc.constantFrom(
            'application/x-www-form-urlencoded',
            'application/json',
            'text/plain',
            'multipart/form-data',
          ),
          async (body, type) => {
            const res = await post(app, '/token', body, type);
            expect(res.status).toBeGreaterThanOrEqual(400);
            expect(res.status).toBeLessThan(500);
            expect(await res.text()).not.toContain('kit_rt_');
          },
        ),
        { numRuns: 150 },
      );
    });
  });
});
