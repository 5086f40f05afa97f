import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDemo, type TestDemo } from '../test/demo-server.ts';

describe('demo HTTP app', () => {
  let t: TestDemo;
  let app: Hono;
  beforeAll(async () => {
    t = await createTestDemo();
    app = t.demo.app;
  });
  afterAll(async () => {
    await t?.close();
  });

  const login = async () => {
    const res = await app.request('/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'alice', password: 'alice-password' }),
    });
    expect(res.status).toBe(200);
    return (await res.json()) as {
      access_token: string;
      refresh_token: string;
      expires_in: number;
      token_type: string;
    };
  };
  const token = (body: string, type = 'application/x-www-form-urlencoded') =>
    app.request('/token', { method: 'POST', headers: { 'content-type': type }, body });

  it('logs in seeded users and refuses wrong credentials', async () => {
    const tokens = await login();
    expect(tokens).toMatchObject({ token_type: 'Bearer', expires_in: 300 });
    for (const body of [
      { username: 'alice', password: 'bob-password' },
      { username: 'mallory', password: 'alice-password' },
    ]) {
      const res = await app.request('/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: 'invalid_credentials' });
    }
  });

  it('exchanges a refresh token as a form or as JSON, with no-store', async () => {
    const first = await login();
    const res = await token(`grant_type=refresh_token&refresh_token=${first.refresh_token}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const second = (await res.json()) as { refresh_token: string };
    const json = await token(
      JSON.stringify({ grant_type: 'refresh_token', refresh_token: second.refresh_token }),
      'application/json',
    );
    expect(json.status).toBe(200);
  });

  it('answers bad requests with RFC 6749 errors and never echoes the token', async () => {
    const { refresh_token } = await login();
    const cases: [string, string, number, string][] = [
      ['grant_type=password&username=a', 'application/x-www-form-urlencoded', 400, 'unsupported_grant_type'],
      ['refresh_token=x', 'application/x-www-form-urlencoded', 400, 'invalid_request'],
      ['grant_type=refresh_token', 'application/x-www-form-urlencoded', 400, 'invalid_request'],
      [
        `grant_type=refresh_token&refresh_token=${refresh_token}&refresh_token=${refresh_token}`,
        'application/x-www-form-urlencoded',
        400,
        'invalid_request',
      ],
      ['{not json', 'application/json', 400, 'invalid_request'],
      ['grant_type=refresh_token&refresh_token=abc', 'text/plain', 400, 'invalid_request'],
      [
        // The last character changed (to B, or to C when it was a B: 1 token in 64).
        `grant_type=refresh_token&refresh_token=${refresh_token.slice(0, -1)}${refresh_token.endsWith('B') ? 'C' : 'B'}`,
        'application/x-www-form-urlencoded',
        400,
        'invalid_grant',
      ],
      [
        `grant_type=refresh_token&refresh_token=${'x'.repeat(17_000)}`,
        'application/x-www-form-urlencoded',
        413,
        'invalid_request',
      ],
    ];
    for (const [body, type, status, error] of cases) {
      const res = await token(body, type);
      expect(res.status).toBe(status);
      const text = await res.text();
      expect(JSON.parse(text).error).toBe(error);
      expect(text).not.toContain('kit_rt_');
      expect(res.headers.get('cache-control')).toBe('no-store');
    }
  });

  it('serves the public JWKS and protects /me', async () => {
    const jwks = await app.request('/.well-known/jwks.json');
    const body = (await jwks.json()) as { keys: Record<string, unknown>[] };
    expect(body.keys.length).toBeGreaterThan(0);
    expect(body.keys[0]).not.toHaveProperty('d');
    const { access_token } = await login();
    const me = await app.request('/me', { headers: { authorization: `Bearer ${access_token}` } });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { sub: string }).sub).toBe('user_alice');
    const none = await app.request('/me');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer, DPoP algs="ES256 EdDSA ES384 RS256 PS256"');
    const bad = await app.request('/me', {
      headers: { authorization: `Bearer ${access_token.slice(0, -2)}xx` },
    });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    const malformed = await app.request('/me', { headers: { authorization: 'Basic abc' } });
    expect(malformed.status).toBe(400);
  });
});

describe('demo pages and cookie login', () => {
  let t: TestDemo;
  let app: Hono;
  beforeAll(async () => {
    t = await createTestDemo({ KIT_RATE_LIMIT_LOGIN: '3' });
    app = t.demo.app;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('serves the page with a strict CSP, the OpenAPI document and the API reference', async () => {
    const page = await app.request('/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await page.text();
    for (const id of ['login', 'claims', 'countdown', 'timeline', 'sessions', 'replay'])
      expect(html).toContain(`id="${id}"`);
    const doc = (await (await app.request('/openapi.json')).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/token',
        '/revoke',
        '/.well-known/jwks.json',
        '/.well-known/oauth-authorization-server',
        '/sessions',
        '/sessions/{id}',
        '/logout',
        '/login',
        '/me',
      ]),
    );
    const docs = await (await app.request('/docs')).text();
    expect(docs).toContain('<code>/sessions/{id}</code>');
    expect(docs).not.toContain('<script');
  });

  it('logs in to cookie mode with the cookie-mode header, and rate-limits logins per address', async () => {
    const res = await app.request('http://127.0.0.1:3000/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-kit-cookie': '1', origin: 'http://127.0.0.1:3000' },
      body: JSON.stringify({ username: 'bob', password: 'bob-password' }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('set-cookie')).toMatch(
      /^__Secure-kit_refresh=kit_rt_[^;]+; Path=\/token; .*HttpOnly; Secure; SameSite=Strict$/,
    );
    expect(await res.json()).not.toHaveProperty('refresh_token');
    // As @hono/node-server passes it: the socket's address identifies the client.
    const client = { incoming: { socket: { remoteAddress: '203.0.113.9' } } };
    const wrong = () =>
      app.request(
        '/login',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'bob', password: 'nope' }),
        },
        client,
      );
    // The limit is 3 logins a minute per address: the fourth attempt is refused.
    for (let i = 0; i < 3; i++) expect((await wrong()).status).toBe(401);
    const limited = await wrong();
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
  });
});

describe('demo behind a public address (KIT_ISSUER)', () => {
  const demos: TestDemo[] = [];
  afterAll(async () => {
    for (const t of demos) await t.close();
  });
  const start = async (env: Record<string, string>) => {
    const t = await createTestDemo({ KIT_RATE_LIMIT_LOGIN: '0', ...env });
    demos.push(t);
    return t.demo.app;
  };

  const cookieLogin = (app: Hono, url: string, origin: string) =>
    app.request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-kit-cookie': '1', origin },
      body: JSON.stringify({ username: 'bob', password: 'bob-password' }),
    });

  it('allows cookie logins from that origin only, where loopback-only mode refuses every one', async () => {
    const local = await start({});
    const atHost = await cookieLogin(local, 'http://auth.example.test/login', 'http://auth.example.test');
    expect(atHost.status).toBe(400);
    expect(atHost.headers.get('set-cookie')).toBeNull();

    const published = await start({ KIT_ISSUER: 'http://auth.example.test' });
    const ok = await cookieLogin(published, 'http://auth.example.test/login', 'http://auth.example.test');
    expect(ok.status).toBe(200);
    expect(ok.headers.get('set-cookie')).toMatch(/^__Secure-kit_refresh=kit_rt_/);
    const foreign = await cookieLogin(
      published,
      'http://auth.example.test/login',
      'http://evil.example.test',
    );
    expect(foreign.status).toBe(400);
    expect(foreign.headers.get('set-cookie')).toBeNull();
    const metadata = (await (
      await published.request('http://10.0.0.7:3000/.well-known/oauth-authorization-server')
    ).json()) as { token_endpoint: string };
    expect(metadata.token_endpoint).toBe('http://auth.example.test/token');
  });
});
