import { createKitOrm, createMikroOrmRateLimitStore, migrate } from '@kit/core/mikro-orm';
import { createTestLogger } from '@kit/test-support';
import { expectOAuthError, form, post } from '@kit/test-support/http';
import { createKitFixture, type KitFixture } from '@kit/test-support/kit-fixture';
import type { MikroORM } from '@mikro-orm/postgresql';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKitRoutes } from './create-kit-routes.ts';
import { createMemoryRateLimitStore } from './create-memory-rate-limit-store.ts';
import { createRateLimit } from './create-rate-limit.ts';
import { rateLimitSubject } from './rate-limit-subject.ts';

const ip = (c: { req: { header(name: string): string | undefined } }) => c.req.header('x-test-ip');

describe('rate limiting', () => {
  let f: KitFixture;
  let second: MikroORM;
  let instances: Hono[];
  beforeAll(async () => {
    f = await createKitFixture();
    second = await createKitOrm({ databaseUrl: f.db.url, poolSize: 4 });
    await migrate(second);
    // Two app instances, each with its own pool and store, on one database.
    instances = [f.orm, second].map((orm) => {
      const app = new Hono();
      app.route(
        '/',
        createKitRoutes(f.kit, {
          clientAddress: ip,
          rateLimit: {
            store: createMikroOrmRateLimitStore({ orm }),
            limit: 3,
            window: '1m',
            clock: f.clock.now,
          },
        }),
      );
      return app;
    });
  });
  afterAll(async () => {
    await second.close();
    await f.close();
  });

  const hit = (n: number, address: string) =>
    post(
      instances[n % 2]!,
      '/token',
      form({ grant_type: 'refresh_token', refresh_token: 'kit_rt_x' }),
      undefined,
      {
        'x-test-ip': address,
      },
    );

  it('shares one limit across instances and answers 429 with Retry-After and no-store', async () => {
    f.clock.set(Date.UTC(2030, 0, 1, 12, 0, 0));
    for (let n = 0; n < 3; n++) expect((await hit(n, '198.51.100.1')).status).toBe(400);
    const limited = await hit(3, '198.51.100.1');
    expect(limited.headers.get('cache-control')).toBe('no-store');
    const retry = Number(limited.headers.get('retry-after'));
    expect(retry).toBeGreaterThanOrEqual(60);
    expect(retry).toBeLessThanOrEqual(120);
    await expectOAuthError(limited, 429, 'too_many_requests');
    expect((await hit(4, '198.51.100.1')).status).toBe(429);
    // Another address has its own budget.
    expect((await hit(5, '198.51.100.2')).status).toBe(400);
  });

  it('lets requests through again once the sliding window has moved on', async () => {
    f.clock.set(Date.UTC(2030, 0, 1, 13, 0, 0));
    for (let n = 0; n < 3; n++) await hit(n, '198.51.100.3');
    expect((await hit(3, '198.51.100.3')).status).toBe(429);
    // Next window, 30 s in: the previous window still weighs 50% (4 × 0.5 + 1 = 3 ≤ 3).
    f.clock.advance(90_000);
    expect((await hit(0, '198.51.100.3')).status).toBe(400);
    expect((await hit(1, '198.51.100.3')).status).toBe(429);
    f.clock.advance(120_000);
    expect((await hit(0, '198.51.100.3')).status).toBe(400);
  });

  it('limits an IPv6 client by its /64', async () => {
    f.clock.set(Date.UTC(2030, 0, 1, 14, 0, 0));
    for (let n = 0; n < 3; n++) await hit(n, `2001:db8:1:2::${n + 1}`);
    expect((await hit(3, '2001:db8:1:2:ffff::9')).status).toBe(429);
    expect((await hit(4, '2001:db8:1:3::1')).status).toBe(400);
    expect(rateLimitSubject('2001:DB8::1')).toBe('2001:db8:0:0::/64');
    expect(rateLimitSubject('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(rateLimitSubject('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(rateLimitSubject('192.0.2.1')).toBe('192.0.2.1');
  });

  it('limits POST /revoke on counters of its own, in the store of rateLimit, before touching a session', async () => {
    f.clock.set(Date.UTC(2030, 0, 1, 13, 0, 0));
    const apps = [f.orm, second].map((orm) => {
      const app = new Hono();
      app.route(
        '/',
        createKitRoutes(f.kit, {
          clientAddress: ip,
          rateLimit: { store: createMikroOrmRateLimitStore({ orm }), limit: 3, clock: f.clock.now },
          revokeRateLimit: { limit: 2 },
        }),
      );
      return app;
    });
    const { refreshToken, session } = await f.kit.createSession({ userId: 'revoke-limit' });
    const revoke = (n: number, token: string) =>
      post(apps[n % 2]!, '/revoke', form({ token }), undefined, { 'x-test-ip': '198.51.100.20' });
    expect((await revoke(0, 'kit_rt_unknown')).status).toBe(200);
    expect((await revoke(1, 'kit_rt_unknown')).status).toBe(200);
    // The third, on the other instance: the counters are shared through the PostgreSQL store.
    const limited = await revoke(2, refreshToken);
    await expectOAuthError(limited, 429, 'too_many_requests');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.headers.get('cache-control')).toBe('no-store');
    expect((await f.kit.sessions.get(session.id))?.status).toBe('active');
    // /token counts apart: the same address still has its three.
    expect((await hit(0, '198.51.100.20')).status).toBe(400);
    // Another address is not affected; a minute later the first one may revoke again.
    expect(
      (await post(apps[0]!, '/revoke', form({ token: 'x' }), undefined, { 'x-test-ip': '198.51.100.21' }))
        .status,
    ).toBe(200);
    f.clock.advance(120_000);
    expect((await revoke(3, refreshToken)).status).toBe(200);
    expect((await f.kit.sessions.get(session.id))?.status).toBe('revoked');
  });

  it('limits POST /revoke to 60 a minute by default; off with revokeRateLimit: false, or rateLimit: false alone', async () => {
    const calls = async (app: Hono, n: number) => {
      const statuses: number[] = [];
      for (let i = 0; i < n; i++) {
        const res = await post(app, '/revoke', form({ token: 'x' }), undefined, {
          'x-test-ip': '192.0.2.60',
        });
        statuses.push(res.status);
      }
      return statuses;
    };
    const limitedApp = new Hono().route('/', createKitRoutes(f.kit, { clientAddress: ip }));
    const statuses = await calls(limitedApp, 61);
    expect(statuses.slice(0, 60).every((s) => s === 200)).toBe(true);
    expect(statuses[60]).toBe(429);
    // Only /revoke's limit explicitly: it holds even with /token's turned off.
    const revokeOnly = new Hono().route(
      '/',
      createKitRoutes(f.kit, { clientAddress: ip, rateLimit: false, revokeRateLimit: { limit: 2 } }),
    );
    expect(await calls(revokeOnly, 3)).toEqual([200, 200, 429]);
    for (const options of [{ revokeRateLimit: false as const }, { rateLimit: false as const }]) {
      const open = new Hono().route('/', createKitRoutes(f.kit, { clientAddress: ip, ...options }));
      expect((await calls(open, 61)).every((s) => s === 200)).toBe(true);
    }
  });

  it('works as middleware for a login route, with the in-memory store', async () => {
    let now = Date.UTC(2030, 0, 1);
    const app = new Hono();
    app.post(
      '/login',
      createRateLimit({
        name: 'login',
        limit: 2,
        window: '10s',
        clientAddress: ip,
        clock: () => now,
        store: createMemoryRateLimitStore(),
      }),
      (c) => c.json({ ok: true }),
    );
    const call = () => app.request('/login', { method: 'POST', headers: { 'x-test-ip': '192.0.2.7' } });
    expect((await call()).status).toBe(200);
    expect((await call()).status).toBe(200);
    const res = await call();
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    now += 25_000;
    expect((await call()).status).toBe(200);
  });

  it('refuses the request with 503 when the store is unreachable, and checks options up front', async () => {
    const down = await createKitOrm({ databaseUrl: 'postgres://postgres@127.0.0.1:1/none', timeoutMs: 200 });
    try {
      const app = new Hono();
      app.post(
        '/login',
        createRateLimit({
          store: createMikroOrmRateLimitStore({ orm: down }),
          clientAddress: () => '203.0.113.7',
        }),
        (c) => c.text('ok'),
      );
      const res = await app.request('/login', { method: 'POST' });
      expect(res.headers.get('retry-after')).toBe('5');
      await expectOAuthError(res, 503, 'temporarily_unavailable');
    } finally {
      await down.close();
    }
    expect(() => createRateLimit({ limit: 0 })).toThrow(/limit/);
    expect(() => createRateLimit({ name: 'a b' })).toThrow(/name/);
    expect(() => createRateLimit({ window: 'soon' as never })).toThrow();
  });
});

describe('createRateLimit without a client address', () => {
  it('never pools unidentified clients into one counter, and says so once', async () => {
    const { logger, lines } = createTestLogger();
    const app = new Hono();
    app.post(
      '/token',
      createRateLimit({ name: 'token', limit: 2, clientAddress: () => undefined, logger }),
      (c) => c.text('ok'),
    );
    for (let i = 0; i < 5; i++) expect((await app.request('/token', { method: 'POST' })).status).toBe(200);
    expect(lines).toEqual([
      {
        level: 'warn',
        fields: { rateLimit: 'token' },
        message: expect.stringMatching(/cannot see client addresses/),
      },
    ]);
  });
});
