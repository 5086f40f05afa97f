import type { Session } from '@kit/core';
import { type AccessTokenClaims, createVerifier } from '@kit/core/verify';
import { useMemoryKitFixture } from '@kit/test-support';
import { bearer, expectOAuthError } from '@kit/test-support/http';
import { Hono } from 'hono';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { type BearerAuthOptions, createBearerAuth, type KitAuthEnv } from './create-bearer-auth.ts';
import { createSessionAuth, type KitSessionEnv } from './create-session-auth.ts';

type RoleClaims = AccessTokenClaims & { role: 'admin' | 'member' };

describe('createBearerAuth and createSessionAuth', () => {
  const f = useMemoryKitFixture({ claims: () => ({ role: 'admin' }) });

  it('puts typed claims on the context', async () => {
    const app = new Hono<KitAuthEnv<RoleClaims>>();
    app.get('/me', createBearerAuth<RoleClaims>({ kit: f.kit }), (c) => {
      expectTypeOf(c.var.claims).toEqualTypeOf<RoleClaims>();
      expectTypeOf(c.var.claims.role).toEqualTypeOf<'admin' | 'member'>();
      expectTypeOf(c.var.claims.sid).toEqualTypeOf<string>();
      return c.json({ sub: c.var.claims.sub, role: c.var.claims.role });
    });
    const { accessToken } = await f.kit.createSession({ userId: 'user-typed' });
    const res = await app.request('/me', { headers: bearer(accessToken) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ sub: 'user-typed', role: 'admin' });
  });

  it('types the strict middleware with the session', () => {
    const app = new Hono<KitSessionEnv>();
    app.get('/s', createSessionAuth({ kit: f.kit }), (c) => {
      expectTypeOf(c.var.session).toEqualTypeOf<Session>();
      expectTypeOf(c.var.claims).toEqualTypeOf<AccessTokenClaims>();
      return c.text(c.var.session.id);
    });
    expectTypeOf<{ issuer: string; audience: string; jwksUrl: string }>().toExtend<BearerAuthOptions>();
    expectTypeOf<{ kit: typeof f.kit }>().toExtend<BearerAuthOptions>();
    expectTypeOf<{ issuer: string }>().not.toExtend<BearerAuthOptions>();
  });

  it('verifies with createVerifier options alone, as at the edge (no kit, no database)', async () => {
    const app = new Hono<KitAuthEnv>();
    app.get(
      '/edge',
      createBearerAuth({
        issuer: 'https://auth.test',
        audience: 'https://api.test',
        jwks: f.kit.jwks(),
        clock: f.clock.now,
      }),
      (c) => c.text(c.var.claims.sub),
    );
    const verify = createVerifier({
      issuer: 'https://auth.test',
      audience: 'https://api.test',
      jwks: f.kit.jwks(),
      clock: f.clock.now,
    });
    app.get('/fn', createBearerAuth({ verify }), (c) => c.text(c.var.claims.sub));
    const { accessToken } = await f.kit.createSession({ userId: 'user-edge' });
    for (const path of ['/edge', '/fn']) {
      expect(await (await app.request(path, { headers: bearer(accessToken) })).text()).toBe('user-edge');
      const none = await app.request(path);
      expect(none.status).toBe(401);
      // Both schemes offered (RFC 9449 §7.2), with the proof algorithms accepted.
      expect(none.headers.get('www-authenticate')).toBe('Bearer, DPoP algs="ES256 EdDSA ES384 RS256 PS256"');
      expect(await none.text()).toBe('');
      const bad = await app.request(path, { headers: bearer(`${accessToken}x`) });
      expect(bad.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
      await expectOAuthError(bad, 401, 'invalid_token');
      await expectOAuthError(
        await app.request(path, { headers: { authorization: 'Basic eDp5' } }),
        400,
        'invalid_request',
      );
    }
    // Wrong issuer and wrong audience configured on the verifier side.
    const strict = new Hono();
    strict.get(
      '/',
      createBearerAuth({
        issuer: 'https://other.test',
        audience: 'https://api.test',
        jwks: f.kit.jwks(),
        clock: f.clock.now,
      }),
      (c) => c.text('no'),
    );
    strict.get(
      '/aud',
      createBearerAuth({
        issuer: 'https://auth.test',
        audience: 'https://nope.test',
        jwks: f.kit.jwks(),
        clock: f.clock.now,
      }),
      (c) => c.text('no'),
    );
    for (const path of ['/', '/aud']) {
      const res = await strict.request(path, { headers: bearer(accessToken) });
      expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
      await expectOAuthError(res, 401, 'invalid_token');
    }
  });

  it('refuses tokens whose session is no longer active only in the strict middleware', async () => {
    const app = new Hono<KitSessionEnv>();
    app.get('/light', createBearerAuth({ kit: f.kit }), (c) => c.text('ok'));
    app.get('/strict', createSessionAuth({ kit: f.kit }), (c) => c.text(c.var.session.status));
    const s = await f.kit.createSession({ userId: 'user-strict' });
    expect(await (await app.request('/strict', { headers: bearer(s.accessToken) })).text()).toBe('active');
    await f.kit.sessions.revoke(s.session.id);
    expect((await app.request('/light', { headers: bearer(s.accessToken) })).status).toBe(200);
    const res = await app.request('/strict', { headers: bearer(s.accessToken) });
    expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    await expectOAuthError(res, 401, 'invalid_token');
  });

  it('checks its options when the factory runs', () => {
    expect(() => createBearerAuth({ issuer: 'https://auth.test', audience: 'https://api.test' })).toThrow(
      /jwksUrl/,
    );
    expect(() => createBearerAuth({ kit: {} as never })).toThrow(/AuthKit/);
    expect(() => createSessionAuth({ kit: {} as never })).toThrow(/AuthKit/);
  });
});
