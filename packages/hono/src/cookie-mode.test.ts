import { createTestLogger } from '@kit/test-support';
import { bearer, expectOAuthError, form, type TokenBody } from '@kit/test-support/http';
import { Hono } from 'hono';
import { beforeAll, describe, expect, it } from 'vitest';
import { useKitRoutesApp } from '../test/kit-routes-app.ts';
import { createKitRoutes } from './create-kit-routes.ts';
import { createLoginResponder } from './create-login-responder.ts';

const ORIGIN = 'http://127.0.0.1:3000';
const NAME = '__Secure-kit_refresh';

describe('cookie mode', () => {
  const options = { basePath: '/auth', cookie: { localDevelopment: true }, rateLimit: false as const };
  const { f, app } = useKitRoutesApp(options);
  beforeAll(() => {
    const respond = createLoginResponder(f.kit, options);
    app.post('/login', (c) => respond(c, { userId: 'user-cookie' }));
  });

  const browser = (extra: Record<string, string> = {}) => ({
    'x-kit-cookie': '1',
    origin: ORIGIN,
    'sec-fetch-site': 'same-origin',
    ...extra,
  });
  const cookieOf = (res: Response) => {
    const header = res.headers.get('set-cookie') ?? '';
    const match = new RegExp(`^${NAME}=([^;]*);`).exec(header);
    return { header, value: match?.[1] };
  };
  const login = async () => {
    const res = await app.request(`${ORIGIN}/login`, { method: 'POST', headers: browser() });
    expect(res.status).toBe(200);
    return { res, cookie: cookieOf(res), body: (await res.json()) as TokenBody };
  };
  const refresh = (
    cookie: string | undefined,
    headers: Record<string, string>,
    body = 'grant_type=refresh_token',
  ) =>
    app.request(`${ORIGIN}/auth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(cookie ? { cookie: `${NAME}=${cookie}` } : {}),
        ...headers,
      },
      body,
    });

  it('puts the refresh token in an HttpOnly, Secure, SameSite=Strict cookie scoped to the token path', async () => {
    const { res, cookie, body } = await login();
    expect(body.refresh_token).toBeUndefined();
    expect(body.access_token).toBeTruthy();
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(cookie.value).toMatch(/^kit_rt_/);
    const attributes = cookie.header.split(';').map((a) => a.trim());
    expect(attributes).toEqual(
      expect.arrayContaining([
        'Path=/auth/token',
        'HttpOnly',
        'Secure',
        'SameSite=Strict',
        'Max-Age=2592000',
      ]),
    );
  });

  it('without the cookie-mode header, login answers the refresh token in the body as usual', async () => {
    const res = await app.request(`${ORIGIN}/login`, { method: 'POST' });
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(((await res.json()) as TokenBody).refresh_token).toMatch(/^kit_rt_/);
  });

  it('rotates through the cookie with the CSRF header and a same-origin Origin', async () => {
    const { cookie } = await login();
    const res = await refresh(cookie.value, browser());
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const next = cookieOf(res);
    expect(next.value).toMatch(/^kit_rt_/);
    expect(next.value).not.toBe(cookie.value);
    expect(((await res.json()) as TokenBody).refresh_token).toBeUndefined();
    // The new cookie works; requests without Origin (non-CORS, same-origin) pass on the header alone.
    const again = await refresh(next.value, { 'x-kit-cookie': '1' });
    expect(again.status).toBe(200);
  });

  it('refuses cookie-authenticated requests that fail the CSRF checks, without rotating', async () => {
    const { cookie } = await login();
    const attempts: Record<string, string>[] = [
      {}, // a cross-site form post: no custom header possible
      { origin: ORIGIN }, // header missing
      { 'x-kit-cookie': '0', origin: ORIGIN },
      browser({ origin: 'https://evil.example' }),
      browser({ origin: 'null' }),
      browser({ 'sec-fetch-site': 'cross-site' }),
    ];
    for (const headers of attempts) {
      const res = await refresh(cookie.value, headers);
      await expectOAuthError(res, 400, 'invalid_request');
      expect(res.headers.get('cache-control')).toBe('no-store');
    }
    // Nothing was consumed: the cookie still rotates.
    expect((await refresh(cookie.value, browser())).status).toBe(200);
  });

  it('refuses a duplicated cookie and clears cookies that stopped working', async () => {
    const { cookie } = await login();
    const dup = await app.request(`${ORIGIN}/auth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        cookie: `${NAME}=${cookie.value}; ${NAME}=kit_rt_planted`,
        ...browser(),
      },
      body: 'grant_type=refresh_token',
    });
    await expectOAuthError(dup, 400, 'invalid_request');

    const bad = await refresh('kit_rt_garbage', browser());
    await expectOAuthError(bad, 400, 'invalid_grant');
    expect(bad.headers.get('set-cookie')).toMatch(new RegExp(`^${NAME}=; Path=/auth/token; Max-Age=0`));
  });

  it('prefers a refresh_token in the body over the cookie', async () => {
    const { cookie } = await login();
    const other = await f.kit.createSession({ userId: 'user-body' });
    const res = await refresh(
      cookie.value,
      browser(),
      form({ grant_type: 'refresh_token', refresh_token: other.refreshToken }),
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as TokenBody;
    expect(body.refresh_token).toMatch(/^kit_rt_/);
    expect((await f.kit.verifyAccessToken(body.access_token)).sub).toBe('user-body');
  });

  it('clears the cookie on logout', async () => {
    const { body } = await login();
    const res = await app.request(`${ORIGIN}/auth/logout`, {
      method: 'POST',
      headers: bearer(body.access_token),
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('set-cookie')).toMatch(new RegExp(`^${NAME}=; Path=/auth/token; Max-Age=0`));
  });

  it('refuses a cookie-mode login from another origin', async () => {
    const res = await app.request(`${ORIGIN}/login`, {
      method: 'POST',
      headers: browser({ origin: 'https://evil.example' }),
    });
    await expectOAuthError(res, 400, 'invalid_request');
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('refuses cookie mode on a host that is not localhost under localDevelopment, logging it once per factory', async () => {
    const { logger, lines } = createTestLogger();
    const options = {
      basePath: '/auth',
      cookie: { localDevelopment: true },
      rateLimit: false as const,
      logger,
    };
    const deployed = new Hono();
    deployed.route('/', createKitRoutes(f.kit, options));
    const respond = createLoginResponder(f.kit, options);
    deployed.post('/login', (c) => respond(c, { userId: 'user-cookie' }));
    const site = 'https://app.example.com';
    const headers = browser({ origin: site });

    // The Origin matches the request's own URL: allowed on localhost, not here.
    const loginRes = await deployed.request(`${site}/login`, { method: 'POST', headers });
    const body = await expectOAuthError(loginRes, 400, 'invalid_request');
    expect(body.error_description).toMatch(/localhost only/);
    expect(loginRes.headers.get('set-cookie')).toBeNull();

    const { cookie } = await login(); // a genuine cookie, minted on 127.0.0.1
    const refreshRes = await deployed.request(`${site}/auth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        cookie: `${NAME}=${cookie.value}`,
        ...headers,
      },
      body: 'grant_type=refresh_token',
    });
    expect((await expectOAuthError(refreshRes, 400, 'invalid_request')).error_description).toMatch(
      /localhost only/,
    );
    // One line from each factory (the routes and the login responder), not one per request.
    await deployed.request(`${site}/login`, { method: 'POST', headers });
    expect(lines).toEqual(
      Array(2).fill({
        level: 'warn',
        fields: { cookie: 'localDevelopment' },
        message:
          'kit: cookie mode refused a request to a host that is not localhost (localDevelopment is set); set baseUrl or cookie.allowedOrigins',
      }),
    );
    // Nothing rotated: the cookie still refreshes on the loopback app.
    expect((await refresh(cookie.value, browser())).status).toBe(200);
  });

  it.each([
    'http://localhost:3000',
    'http://app.localhost:3000',
    'http://127.0.0.2:3000',
    'http://[::1]:3000',
  ])('allows the request origin %s under localDevelopment', async (origin) => {
    const res = await app.request(`${origin}/login`, { method: 'POST', headers: browser({ origin }) });
    expect(res.status).toBe(200);
    expect(res.headers.get('set-cookie')).toMatch(new RegExp(`^${NAME}=kit_rt_`));
  });

  it.each(['http://localhost.example.com', 'http://127.0.0.1.nip.io', 'http://10.0.0.5', 'http://[::2]'])(
    'refuses the request origin %s under localDevelopment',
    async (origin) => {
      const res = await app.request(`${origin}/login`, { method: 'POST', headers: browser({ origin }) });
      await expectOAuthError(res, 400, 'invalid_request');
    },
  );

  it('with baseUrl, allows its origin and refuses the request origin of another host', async () => {
    const deployed = new Hono();
    const options = {
      baseUrl: 'https://app.example.com/auth',
      basePath: '/auth',
      cookie: true,
      rateLimit: false as const,
    };
    deployed.route('/', createKitRoutes(f.kit, options));
    const respond = createLoginResponder(f.kit, options);
    deployed.post('/login', (c) => respond(c, { userId: 'user-cookie' }));
    const ok = await deployed.request('https://app.example.com/login', {
      method: 'POST',
      headers: browser({ origin: 'https://app.example.com' }),
    });
    expect(ok.status).toBe(200);
    // A request whose Host names another origin gets nothing from it.
    const other = await deployed.request('https://other.example/login', {
      method: 'POST',
      headers: browser({ origin: 'https://other.example' }),
    });
    await expectOAuthError(other, 400, 'invalid_request');
  });

  it('needs baseUrl, allowedOrigins or localDevelopment when the factory runs', () => {
    const message = /set `baseUrl`.*`cookie.allowedOrigins`.*localDevelopment: true/;
    expect(() => createKitRoutes(f.kit, { cookie: true })).toThrow(message);
    expect(() => createKitRoutes(f.kit, { cookie: {} })).toThrow(message);
    expect(() => createKitRoutes(f.kit, { cookie: { localDevelopment: false } })).toThrow(message);
    expect(() => createLoginResponder(f.kit, { cookie: true })).toThrow(message);
    expect(() => createKitRoutes(f.kit, { cookie: true, baseUrl: 'https://app.example.com' })).not.toThrow();
    expect(() =>
      createKitRoutes(f.kit, { cookie: { allowedOrigins: ['https://app.example.com'] } }),
    ).not.toThrow();
    expect(() => createKitRoutes(f.kit, { cookie: false })).not.toThrow();
  });

  it('checks its options when the factory runs', () => {
    expect(() => createKitRoutes(f.kit, { cookie: { name: 'bad name;' } })).toThrow(/cookie.name/);
    expect(() => createKitRoutes(f.kit, { cookie: { header: 'cookie' } })).toThrow(/cookie.header/);
    expect(() => createKitRoutes(f.kit, { cookie: { allowedOrigins: ['https://a.example/path'] } })).toThrow(
      /bare origins/,
    );
    expect(() => createKitRoutes(f.kit, { basePath: 'auth' })).toThrow(/basePath/);
  });
});
