import { createHash } from 'node:crypto';
import {
  type AuthKit,
  createAuthKit,
  createMemorySessionStore,
  generateSecret,
  generateSigningKeys,
} from '@kit/core';
import { createKitOrm, migrate } from '@kit/core/mikro-orm';
import { createTestDatabase, type TestDatabase } from '@kit/test-support/database';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BareServer, startChild } from './http.ts';

/**
 * The bare server is the limit the kit's HTTP figures are judged against: these tests check that
 * it does the work it stands for (a real compare-and-set on its table, a token the kit's shape,
 * a real signature check), so a limit that skipped part of it could not flatter the kit's ratio.
 */
describe('the bare servers (bare-server.ts)', () => {
  let db: TestDatabase;
  let kit: AuthKit;
  let bare: BareServer;
  let base: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    const orm = await createKitOrm({ databaseUrl: db.url, poolSize: 2 });
    try {
      await migrate(orm);
    } finally {
      await orm.close();
    }
    kit = await createAuthKit({
      issuer: 'https://auth.bench.test',
      audience: 'https://api.bench.test',
      secret: generateSecret(),
      signingKeys: await generateSigningKeys({ alg: 'ES256' }),
      store: createMemorySessionStore(),
      accessTokenTtl: '1h',
    });
    bare = await startChild('./bare-server.ts', 'bare server (test)', {
      BENCH_BARE_DATABASE_URL: db.url,
      BENCH_BARE_POOL_SIZE: '2',
      BENCH_BARE_VERIFY: JSON.stringify({
        jwk: kit.jwks().keys[0],
        issuer: kit.config.issuer,
        audience: kit.config.audience,
      }),
      BENCH_BARE_HONO: '1',
    });
    base = `http://127.0.0.1:${bare.ready.port}`;
  });

  afterAll(async () => {
    await bare?.stop();
    await db?.drop();
  });

  const refresh = (body: string, contentType = 'application/x-www-form-urlencoded') =>
    fetch(`${base}/token`, { method: 'POST', headers: { 'content-type': contentType }, body });
  const form = (token: string) => `grant_type=refresh_token&refresh_token=${encodeURIComponent(token)}`;
  const decode = (part: string) =>
    JSON.parse(Buffer.from(part, 'base64url').toString()) as Record<string, unknown>;

  it('chains refreshes with one compare-and-set each, and refuses a token already used', async () => {
    const [first] = await bare.call<string[]>('sessions', { count: 1 });
    let token = first!;
    const used: string[] = [];
    for (let i = 0; i < 3; i++) {
      const response = await refresh(form(token));
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.headers.get('content-length')).not.toBeNull();
      const body = (await response.json()) as Record<string, unknown>;
      expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
      expect(body.refresh_token).not.toBe(token);
      used.push(token);
      token = body.refresh_token as string;
    }
    for (const old of used) {
      const replay = await refresh(form(old));
      expect(replay.status).toBe(400);
      expect(await replay.json()).toEqual({ error: 'invalid_grant' });
    }

    // The row moved three times and holds the SHA-256 of the last secret only.
    const [id, secret] = token.split('.') as [string, string];
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const row = (
        await client.query<{ generation: number; secret_hash: Buffer }>(
          'select generation, secret_hash from bare_sessions where id = $1',
          [id],
        )
      ).rows[0]!;
      expect(row.generation).toBe(3);
      expect(row.secret_hash).toEqual(createHash('sha256').update(Buffer.from(secret, 'base64url')).digest());
    } finally {
      await client.end();
    }
  });

  it("answers an ES256 access token of the kit's header and claims", async () => {
    const [token] = await bare.call<string[]>('sessions', { count: 1 });
    const body = (await (await refresh(form(token!))).json()) as { access_token: string };
    const [h, p] = body.access_token.split('.') as [string, string, string];
    const kitToken = (await kit.createSession({ userId: 'someone' })).accessToken;
    const [kh, kp] = kitToken.split('.') as [string, string, string];
    expect(Object.keys(decode(h))).toEqual(Object.keys(decode(kh)));
    expect(decode(h)).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
    expect(Object.keys(decode(p))).toEqual(Object.keys(decode(kp)));
    expect(decode(p)).toMatchObject({
      iss: kit.config.issuer,
      aud: kit.config.audience,
      client_id: 'default',
      sid: token!.split('.')[0],
    });
  });

  it('refuses malformed requests without touching a session', async () => {
    const [token] = await bare.call<string[]>('sessions', { count: 1 });
    expect((await refresh(form(token!), 'application/json')).status).toBe(400);
    expect((await refresh(`grant_type=password&refresh_token=${token}`)).status).toBe(400);
    const otherSecret = `${token!.slice(0, 50)}${token![50] === 'A' ? 'B' : 'A'}${token!.slice(51)}`;
    expect((await refresh(form(otherSecret))).status).toBe(400);
    expect((await refresh(form(`x${token}`))).status).toBe(400);
    expect((await refresh(`${form(token!)}&pad=${'a'.repeat(17 * 1024)}`)).status).toBe(413);
    // The session still answers its token.
    expect((await refresh(form(token!))).status).toBe(200);
  });

  // The bare verifier on node:http, and the same work in Hono (the framework floor).
  it.each([
    ['node:http', () => base],
    ['Hono', () => `http://127.0.0.1:${bare.ready.honoPort}`],
  ])("verifies the kit's access tokens on GET /me (%s) and refuses a forged one", async (_, url) => {
    const access = (await kit.createSession({ userId: 'someone' })).accessToken;
    const ok = await fetch(`${url()}/me`, { headers: { authorization: `Bearer ${access}` } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('application/json');
    expect(await ok.json()).toMatchObject({ sub: 'someone', iss: kit.config.issuer });
    const [h, p, s] = access.split('.') as [string, string, string];
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...decode(p), sub: 'admin' })).toString('base64url')}.${s}`;
    const refused = await fetch(`${url()}/me`, { headers: { authorization: `Bearer ${forged}` } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
  });
});
