import { createMikroOrmDpopReplayCache } from '@kit/core/mikro-orm';
import { createTestLogger } from '@kit/test-support';
import { type DpopKey, generateDpopKey, makeProof } from '@kit/test-support/dpop';
import { expectOAuthError, form, type TokenBody } from '@kit/test-support/http';
import { useKitFixture } from '@kit/test-support/kit-fixture';
import { Hono } from 'hono';
import { beforeAll, describe, expect, it } from 'vitest';
import { createKitRoutes } from './create-kit-routes.ts';
import { createLoginResponder } from './create-login-responder.ts';

/** The public URL the routes are served at, behind a proxy: what proofs must name. */
const PUBLIC = 'https://auth.example.com';
const BROWSER_ORIGIN = PUBLIC;
const COOKIE = '__Secure-kit_refresh';

/**
 * DPoP-bound sessions through HTTP, on PostgreSQL (the kit's store and the PostgreSQL replay
 * cache), with proofs signed by `node:crypto` keys of the test's own.
 */
describe('DPoP-bound sessions through @kit/hono on PostgreSQL', () => {
  const f = useKitFixture();
  const app = new Hono();
  const bearerApp = new Hono();
  const owner = generateDpopKey('ES256');
  const thief = generateDpopKey('EdDSA');

  beforeAll(async () => {
    const kit = await f.makeKit({ dpop: { replayCache: createMikroOrmDpopReplayCache({ orm: f.orm }) } });
    const options = { baseUrl: PUBLIC, cookie: true, rateLimit: false as const };
    app.route('/', createKitRoutes(kit, options));
    const respond = createLoginResponder(kit, options);
    app.post('/login', (c) => respond(c, { userId: 'alice' }));
    // The fixture's own kit has no `dpop` option.
    bearerApp.route('/', createKitRoutes(f.kit, { baseUrl: PUBLIC, rateLimit: false }));
    const respondBearer = createLoginResponder(f.kit, { baseUrl: PUBLIC });
    bearerApp.post('/login', (c) => respondBearer(c, { userId: 'bob' }));
  });

  const proof = (key: DpopKey, htu = `${PUBLIC}/token`) =>
    makeProof(key, { claims: { htu, iat: Math.floor(f.clock.now() / 1000) } });
  const login = async (headers: Record<string, string> = { dpop: proof(owner, `${PUBLIC}/login`) }) => {
    const res = await app.request('/login', { method: 'POST', headers });
    expect(res.status).toBe(200);
    return { res, body: (await res.json()) as TokenBody };
  };
  const refresh = (token: string, dpop?: string, target = app) =>
    target.request('/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(dpop ? { dpop } : {}) },
      body: form({ grant_type: 'refresh_token', refresh_token: token }),
    });
  const sidOf = async (accessToken: string) => (await f.kit.verifyAccessToken(accessToken)).sid;

  it('binds the session of a login with a DPoP header: token_type DPoP, cnf.jkt', async () => {
    const { body } = await login();
    expect(body.token_type).toBe('DPoP');
    const claims = await f.kit.verifyAccessToken(body.access_token);
    expect((claims.cnf as { jkt: string }).jkt).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const res = await refresh(body.refresh_token!, proof(owner));
    expect(res.status).toBe(200);
    expect(((await res.json()) as TokenBody).token_type).toBe('DPoP');
  });

  it('refuses a refresh token replayed without the key, with another key, or with a replayed proof, and the session still refreshes for its owner', async () => {
    const { body: first } = await login();
    const sid = await sidOf(first.access_token);
    const used = proof(owner);
    const secondRes = await refresh(first.refresh_token!, used);
    expect(secondRes.status).toBe(200);
    const second = (await secondRes.json()) as TokenBody;
    f.clock.advance(60_000); // past the grace window: the first token is an old one now

    for (const token of [first.refresh_token!, second.refresh_token!]) {
      await expectOAuthError(await refresh(token), 400, 'invalid_dpop_proof');
      await expectOAuthError(await refresh(token, proof(thief)), 400, 'invalid_grant');
      await expectOAuthError(await refresh(token, used), 400, 'invalid_dpop_proof');
      // A proof made for the URL the server sees behind the proxy, not the public one.
      await expectOAuthError(
        await refresh(token, proof(owner, 'http://localhost/token')),
        400,
        'invalid_dpop_proof',
      );
    }
    expect(await f.kit.sessions.get(sid)).toMatchObject({ status: 'active', generation: 1, revokedAt: null });

    const third = await refresh(second.refresh_token!, proof(owner));
    expect(third.status).toBe(200);
    expect(((await third.json()) as TokenBody).token_type).toBe('DPoP');
    // With the owner's key, the old token is reuse, as for any session.
    await expectOAuthError(await refresh(first.refresh_token!, proof(owner)), 400, 'invalid_grant');
    expect((await f.kit.sessions.get(sid))?.revokedReason).toBe('refresh_token_reused');
  });

  it('keeps a login without a DPoP header a Bearer session, proofs at /token ignored', async () => {
    const { body } = await login({});
    expect(body.token_type).toBe('Bearer');
    const res = await refresh(body.refresh_token!, proof(thief));
    expect(res.status).toBe(200);
    expect(((await res.json()) as TokenBody).token_type).toBe('Bearer');
  });

  it('opens nothing for a login proof that fails', async () => {
    const before = await f.kit.sessions.count('alice', { status: 'all' });
    await expectOAuthError(
      await app.request('/login', { method: 'POST', headers: { dpop: proof(owner) } }),
      400,
      'invalid_dpop_proof',
    );
    expect(await f.kit.sessions.count('alice', { status: 'all' })).toBe(before);
  });

  it('revokes a bound session at /revoke without a proof', async () => {
    const { body } = await login();
    const res = await app.request('/revoke', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form({ token: body.refresh_token! }),
    });
    expect(res.status).toBe(200);
    expect((await f.kit.sessions.get(await sidOf(body.access_token)))?.status).toBe('revoked');
  });

  it('works in cookie mode: the refresh cookie plus a DPoP header, the cookie kept on a refused proof', async () => {
    const browser = { 'x-kit-cookie': '1', origin: BROWSER_ORIGIN, 'sec-fetch-site': 'same-origin' };
    const { res, body } = await login({ ...browser, dpop: proof(owner, `${PUBLIC}/login`) });
    expect(body).toMatchObject({ token_type: 'DPoP' });
    expect(body.refresh_token).toBeUndefined();
    const cookie = new RegExp(`^${COOKIE}=([^;]*);`).exec(res.headers.get('set-cookie') ?? '')?.[1];
    expect(cookie).toBeTruthy();
    const viaCookie = (dpop?: string) =>
      app.request('/token', {
        method: 'POST',
        headers: {
          ...browser,
          cookie: `${COOKIE}=${cookie}`,
          'content-type': 'application/x-www-form-urlencoded',
          ...(dpop ? { dpop } : {}),
        },
        body: 'grant_type=refresh_token',
      });
    const refused = await viaCookie();
    expect(refused.headers.get('set-cookie')).toBeNull();
    await expectOAuthError(refused, 400, 'invalid_dpop_proof');
    const ok = await viaCookie(proof(owner));
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as TokenBody).token_type).toBe('DPoP');
    expect(ok.headers.get('set-cookie')).toMatch(new RegExp(`^${COOKIE}=kit_rt_`));
  });

  it('lists dpop_signing_alg_values_supported in the metadata only with DPoP', async () => {
    const path = '/.well-known/oauth-authorization-server';
    const metadata = (await (await app.request(path)).json()) as Record<string, unknown>;
    expect(metadata.dpop_signing_alg_values_supported).toEqual(['ES256', 'EdDSA', 'ES384', 'RS256', 'PS256']);
    const plain = (await (await bearerApp.request(path)).json()) as Record<string, unknown>;
    expect(plain).not.toHaveProperty('dpop_signing_alg_values_supported');
  });

  it('ignores a DPoP header when the kit has no dpop option: login and refresh answer Bearer (RFC 9449 §5)', async () => {
    const valid = proof(owner, `${PUBLIC}/login`);
    for (const dpop of [valid, 'not-a-proof']) {
      const res = await bearerApp.request('/login', { method: 'POST', headers: { dpop } });
      expect(res.status).toBe(200);
      const body = (await res.json()) as TokenBody;
      // The client learns from token_type that its key was not used; nothing carries a binding.
      expect(body.token_type).toBe('Bearer');
      expect(await f.kit.verifyAccessToken(body.access_token)).not.toHaveProperty('cnf');
      const sid = await sidOf(body.access_token);
      expect((await f.kit.sessions.get(sid))?.dpopJkt).toBeNull();

      const refreshed = await refresh(body.refresh_token!, proof(owner), bearerApp);
      expect(refreshed.status).toBe(200);
      const next = (await refreshed.json()) as TokenBody;
      expect(next.token_type).toBe('Bearer');
      expect(await f.kit.verifyAccessToken(next.access_token)).not.toHaveProperty('cnf');
      const again = await refresh(next.refresh_token!, 'not-a-proof', bearerApp);
      expect(again.status).toBe(200);
      expect(((await again.json()) as TokenBody).token_type).toBe('Bearer');
      expect(await f.kit.sessions.get(sid)).toMatchObject({ status: 'active', generation: 2, dpopJkt: null });
    }
  });

  it('never refreshes a session bound earlier as Bearer once the kit has no dpop option: 500, logged, the session unchanged', async () => {
    const { body } = await login();
    const sid = await sidOf(body.access_token);
    const { logger, lines } = createTestLogger();
    const misconfigured = new Hono();
    misconfigured.route('/', createKitRoutes(f.kit, { baseUrl: PUBLIC, rateLimit: false, logger }));

    for (const dpop of [proof(owner), undefined]) {
      await expectOAuthError(await refresh(body.refresh_token!, dpop, misconfigured), 500, 'server_error');
    }
    expect(lines.map((line) => line.fields)).toEqual([
      { code: 'ERR_INVALID_OPTIONS', status: 500 },
      { code: 'ERR_INVALID_OPTIONS', status: 500 },
    ]);
    const session = await f.kit.sessions.get(sid);
    expect(session).toMatchObject({ status: 'active', generation: 0 });
    expect(session?.dpopJkt).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // Back on a kit with the option, the owner's key still refreshes it, still bound.
    const res = await refresh(body.refresh_token!, proof(owner));
    expect(res.status).toBe(200);
    expect(((await res.json()) as TokenBody).token_type).toBe('DPoP');
  });
});
