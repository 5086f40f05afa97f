import { generateSecret } from '@kit/core';
import { requireTestRedis } from '@kit/test-support/redis';
import { type OutageProxy, startProxy } from '@kit/test-support/tcp-proxy';
import type { MikroORM } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDemo, type TestDemo } from '../test/demo-server.ts';
import { createTestDpopClient, type TestDpopClient } from '../test/dpop-client.ts';
import { chooseDpopReplayCaches } from './dpop-replay-caches.ts';

/**
 * The demo's DPoP wiring (RFC 9449): a login with a proof opens a bound session, /token and /me need
 * proofs by its key, and a proof is taken once, on every instance that shares the demo's stores.
 */

const ORIGIN = 'http://demo.test';
// No rate limits: app.request() has no client address, and these tests are not about limits.
const env = { KIT_RATE_LIMIT_LOGIN: '0', KIT_RATE_LIMIT_TOKEN: '0' };

type Tokens = { access_token: string; refresh_token: string; token_type: string };

async function login(t: TestDemo, headers: Record<string, string>): Promise<Response> {
  return t.demo.app.request(`${ORIGIN}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ username: 'alice', password: 'alice-password' }),
  });
}

async function refresh(
  t: TestDemo,
  refreshToken: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  return t.demo.app.request(`${ORIGIN}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }).toString(),
  });
}

async function me(t: TestDemo, headers: Record<string, string>): Promise<Response> {
  return t.demo.app.request(`${ORIGIN}/me`, { headers });
}

async function boundLogin(t: TestDemo, client: TestDpopClient): Promise<Tokens> {
  const res = await login(t, { dpop: await client.proof('POST', `${ORIGIN}/login`) });
  expect(res.status).toBe(200);
  const tokens = (await res.json()) as Tokens;
  expect(tokens.token_type).toBe('DPoP');
  return tokens;
}

describe('the demo server with DATABASE_URL: proofs at /login and /token remembered in PostgreSQL', () => {
  const secret = generateSecret();
  let a: TestDemo;
  let b: TestDemo;
  let client: TestDpopClient;
  beforeAll(async () => {
    a = await createTestDemo({ ...env, KIT_SECRET: secret });
    // A second instance on the same database.
    b = await createTestDemo({ ...env, KIT_SECRET: secret }, { databaseUrl: a.db.url });
    client = await createTestDpopClient();
  }, 60_000);
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('says where proofs are remembered', () => {
    expect(a.logLines.join('\n')).toContain(
      'DPoP proofs remembered in PostgreSQL (kit_dpop_replays) at /login, /token and the session routes, in memory at /me',
    );
  });

  it('binds a login with a proof, and refuses that proof on the other instance', async () => {
    const proof = await client.proof('POST', `${ORIGIN}/login`);
    const first = await login(a, { dpop: proof });
    expect(first.status).toBe(200);
    const tokens = (await first.json()) as Tokens;
    expect(tokens.token_type).toBe('DPoP');
    const replayed = await login(b, { dpop: proof });
    expect(replayed.status).toBe(400);
    expect(await replayed.json()).toMatchObject({ error: 'invalid_dpop_proof' });
  });

  it('refreshes a bound session with a proof by its key only, on either instance', async () => {
    const tokens = await boundLogin(a, client);
    const proof = await client.proof('POST', `${ORIGIN}/token`);
    const rotated = await refresh(b, tokens.refresh_token, { dpop: proof });
    expect(rotated.status).toBe(200);
    const next = (await rotated.json()) as Tokens;
    expect(next.token_type).toBe('DPoP');
    // The same proof again, at the other instance: a replay, whatever the token.
    const replayed = await refresh(a, next.refresh_token, { dpop: proof });
    expect(replayed.status).toBe(400);
    expect(await replayed.json()).toMatchObject({ error: 'invalid_dpop_proof' });

    // A thief with the refresh token and no key, then with a key of their own.
    const bare = await refresh(a, next.refresh_token);
    expect(bare.status).toBe(400);
    expect(await bare.json()).toMatchObject({ error: 'invalid_dpop_proof' });
    const thief = await createTestDpopClient();
    const other = await refresh(a, next.refresh_token, {
      dpop: await thief.proof('POST', `${ORIGIN}/token`),
    });
    expect(other.status).toBe(400);
    expect(await other.json()).toMatchObject({ error: 'invalid_grant' });
    expect(a.logLines.some((line) => line.includes('"event":"dpop_key_mismatch"'))).toBe(true);
    // Nothing was revoked: the owner refreshes.
    const owner = await refresh(a, next.refresh_token, {
      dpop: await client.proof('POST', `${ORIGIN}/token`),
    });
    expect(owner.status).toBe(200);
  });

  it('takes a proof sent to the session routes once, on either instance', async () => {
    const tokens = await boundLogin(a, client);
    const headers = {
      authorization: `DPoP ${tokens.access_token}`,
      dpop: await client.proof('GET', `${ORIGIN}/sessions`, tokens.access_token),
    };
    expect((await a.demo.app.request(`${ORIGIN}/sessions`, { headers })).status).toBe(200);
    const replayed = await b.demo.app.request(`${ORIGIN}/sessions`, { headers });
    expect(replayed.status).toBe(401);
    expect(replayed.headers.get('www-authenticate')).toMatch(/^DPoP error="invalid_dpop_proof"/);
  });

  it('answers /me for a bound token with its proof, once, and never as Bearer', async () => {
    const tokens = await boundLogin(a, client);
    const headers = {
      authorization: `DPoP ${tokens.access_token}`,
      dpop: await client.proof('GET', `${ORIGIN}/me`, tokens.access_token),
    };
    const ok = await me(a, headers);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ sub: 'user_alice', cnf: { jkt: client.jkt } });

    const replayed = await me(a, headers);
    expect(replayed.status).toBe(401);
    expect(replayed.headers.get('www-authenticate')).toMatch(/^DPoP error="invalid_dpop_proof", algs="/);
    expect(await replayed.json()).toMatchObject({ error: 'invalid_dpop_proof' });

    const bearer = await me(a, { authorization: `Bearer ${tokens.access_token}` });
    expect(bearer.status).toBe(401);
    expect(bearer.headers.get('www-authenticate')).toMatch(/^DPoP error="invalid_token"/);

    // A proof made for another token (no matching ath) is refused too.
    const other = await boundLogin(a, client);
    const wrongAth = await me(a, {
      authorization: `DPoP ${tokens.access_token}`,
      dpop: await client.proof('GET', `${ORIGIN}/me`, other.access_token),
    });
    expect(wrongAth.status).toBe(401);
    expect(await wrongAth.json()).toMatchObject({ error: 'invalid_dpop_proof' });
  });
});

describe('the session routes of the demo for a DPoP-bound session', () => {
  let t: TestDemo;
  beforeAll(async () => {
    t = await createTestDemo(env);
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  it('list sessions for the token sent as DPoP with its proof, and refuse it as Bearer', async () => {
    const client = await createTestDpopClient();
    const tokens = await boundLogin(t, client);
    const list = (headers: Record<string, string>) => t.demo.app.request(`${ORIGIN}/sessions`, { headers });
    const ok = await list({
      authorization: `DPoP ${tokens.access_token}`,
      dpop: await client.proof('GET', `${ORIGIN}/sessions`, tokens.access_token),
    });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { sessions: unknown[] }).sessions).toHaveLength(1);
    // A thief with the access token and not the key can neither list nor log anybody out.
    const bearer = await list({ authorization: `Bearer ${tokens.access_token}` });
    expect(bearer.status).toBe(401);
    const logout = await t.demo.app.request(`${ORIGIN}/logout?scope=global`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(logout.status).toBe(401);
    const thief = await createTestDpopClient();
    const otherKey = await list({
      authorization: `DPoP ${tokens.access_token}`,
      dpop: await thief.proof('GET', `${ORIGIN}/sessions`, tokens.access_token),
    });
    expect(otherKey.status).toBe(401);
  });
});

describe('the demo server while PostgreSQL is unreachable', () => {
  const secret = generateSecret();
  let owner: TestDemo;
  let t: TestDemo;
  let proxy: OutageProxy;
  beforeAll(async () => {
    owner = await createTestDemo({ ...env, KIT_SECRET: secret });
    const target = new URL(owner.db.url);
    proxy = await startProxy({ host: target.hostname, port: Number(target.port || 5432) });
    target.host = `127.0.0.1:${proxy.port}`;
    t = await createTestDemo(
      { ...env, KIT_SECRET: secret },
      { databaseUrl: target.href, databaseTimeoutMs: 1000 },
    );
  }, 60_000);
  afterAll(async () => {
    await proxy?.restore();
    await t?.close();
    await proxy?.close();
    await owner?.close();
  });

  it('keeps answering /me with DPoP (its proofs are remembered in memory), while /token answers 503', async () => {
    const client = await createTestDpopClient();
    const tokens = await boundLogin(t, client);
    await proxy.cut('refuse');
    const res = await me(t, {
      authorization: `DPoP ${tokens.access_token}`,
      dpop: await client.proof('GET', `${ORIGIN}/me`, tokens.access_token),
    });
    expect(res.status).toBe(200);
    const token = await refresh(t, tokens.refresh_token, {
      dpop: await client.proof('POST', `${ORIGIN}/token`),
    });
    expect(token.status).toBe(503);
    expect(await token.json()).toMatchObject({ error: 'temporarily_unavailable' });
  });
});

const redisUrl = await requireTestRedis('the demo DPoP tests with REDIS_URL');

describe.skipIf(!redisUrl)('two demo servers with REDIS_URL: proofs remembered in Redis', () => {
  const secret = generateSecret();
  let a: TestDemo;
  let b: TestDemo;
  beforeAll(async () => {
    const redisEnv = { ...env, KIT_SECRET: secret, REDIS_URL: redisUrl! };
    a = await createTestDemo(redisEnv);
    b = await createTestDemo(redisEnv, { databaseUrl: a.db.url });
  }, 60_000);
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('refuses at one instance a /me proof the other accepted', async () => {
    expect(a.logLines.join('\n')).toContain('DPoP proofs remembered in Redis');
    const client = await createTestDpopClient();
    const tokens = await boundLogin(a, client);
    const headers = {
      authorization: `DPoP ${tokens.access_token}`,
      dpop: await client.proof('GET', `${ORIGIN}/me`, tokens.access_token),
    };
    expect((await me(a, headers)).status).toBe(200);
    const replayed = await me(b, headers);
    expect(replayed.status).toBe(401);
    expect(await replayed.json()).toMatchObject({ error: 'invalid_dpop_proof' });
  });
});

describe('chooseDpopReplayCaches on the embedded PostgreSQL', () => {
  it('keeps one cache in memory for /token and /me, touching no database', async () => {
    // An ORM that fails if it is used at all.
    const orm = new Proxy({} as MikroORM, {
      get: () => {
        throw new Error('the memory cache used the ORM');
      },
    });
    const caches = chooseDpopReplayCaches({ orm, embedded: true, redis: undefined });
    expect(caches.token).toBe(caches.resource);
    expect(caches.description).toContain('in memory');
    const now = Date.now();
    expect(await caches.token.remember('k'.repeat(43), { now, expiresAt: now + 65_000 })).toBe(true);
    expect(await caches.resource.remember('k'.repeat(43), { now, expiresAt: now + 65_000 })).toBe(false);
  });
});
