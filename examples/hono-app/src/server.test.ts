import { createKitOrm, migrate } from '@kit/core/mikro-orm';
import { createVerifier } from '@kit/core/verify';
import { createTestDatabase, type TestDatabase } from '@kit/test-support/database';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from './server.ts';

const ISSUER = 'http://127.0.0.1:3001';
const SECRET = 'example-test-secret-0123456789-abcdefghijklmnop';

describe('the Hono example', () => {
  let db: TestDatabase;
  let server: RunningServer;

  beforeAll(async () => {
    db = await createTestDatabase();
    const orm = await createKitOrm({ databaseUrl: db.url });
    await migrate(orm);
    await orm.close();
    server = await startServer({
      databaseUrl: db.url,
      secret: SECRET,
      issuer: ISSUER,
      audience: ISSUER,
      port: 0,
      host: '127.0.0.1',
    });
  });

  afterAll(async () => {
    await server?.close();
    await db?.drop();
  });

  const post = (path: string, body: string, type = 'application/json') =>
    fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': type }, body });
  const login = (password = 'alice-password') =>
    post('/login', JSON.stringify({ username: 'alice', password }));
  const refresh = (token: string) =>
    post('/token', `grant_type=refresh_token&refresh_token=${token}`, 'application/x-www-form-urlencoded');

  it('logs alice in with her password and refuses a wrong one', async () => {
    expect((await login('wrong')).status).toBe(401);
    const unknown = await post('/login', JSON.stringify({ username: 'mallory', password: 'alice-password' }));
    expect(unknown.status).toBe(401);
    expect((await post('/login', 'not json')).status).toBe(400);

    const response = await login();
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 300 });
    expect(body.refresh_token).toMatch(/^kit_rt_/);
  });

  it('guards /me with the access token', async () => {
    const missing = await fetch(`${server.url}/me`);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer, DPoP algs="ES256 EdDSA ES384 RS256 PS256"');
    const bad = await fetch(`${server.url}/me`, { headers: { authorization: 'Bearer a.b.c' } });
    expect(bad.status).toBe(401);

    const { access_token } = (await (await login()).json()) as { access_token: string };
    const me = await fetch(`${server.url}/me`, { headers: { authorization: `Bearer ${access_token}` } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ user: 'user_alice', claims: { iss: ISSUER, aud: ISSUER } });
  });

  it('rotates at /token: a new refresh token, the same one again within the grace, then reuse detection', async () => {
    const first = (await (await login()).json()) as { refresh_token: string };
    const next = await refresh(first.refresh_token);
    expect(next.status).toBe(200);
    const rotated = (await next.json()) as { refresh_token: string; access_token: string };
    expect(rotated.refresh_token).not.toBe(first.refresh_token);

    // A retry with the previous token (a lost response, a second tab) gets the same successor.
    const retry = (await (await refresh(first.refresh_token)).json()) as { refresh_token: string };
    expect(retry.refresh_token).toBe(rotated.refresh_token);

    // An older token than the previous one is a copy: the session is revoked.
    const third = (await (await refresh(rotated.refresh_token)).json()) as { refresh_token: string };
    const replay = await refresh(first.refresh_token);
    expect(replay.status).toBe(400);
    expect(await replay.json()).toMatchObject({ error: 'invalid_grant' });
    expect((await refresh(third.refresh_token)).status).toBe(400);
  });

  it('publishes the JWKS its access tokens verify against, anywhere', async () => {
    const { access_token } = (await (await login()).json()) as { access_token: string };
    const verify = createVerifier({
      issuer: ISSUER,
      audience: ISSUER,
      jwksUrl: `${server.url}/.well-known/jwks.json`,
    });
    expect(await verify(access_token)).toMatchObject({ sub: 'user_alice', iss: ISSUER });
  });

  it('refuses to start on a database that was not migrated, saying what to run', async () => {
    const empty = await createTestDatabase();
    try {
      await expect(
        startServer({
          databaseUrl: empty.url,
          secret: SECRET,
          issuer: ISSUER,
          audience: ISSUER,
          port: 0,
          host: '127.0.0.1',
        }),
      ).rejects.toThrow(/run `pnpm --filter @kit\/example-hono-app migrate` first/);
    } finally {
      await empty.drop();
    }
  });
});
