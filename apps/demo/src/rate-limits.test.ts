import { randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSecret } from '@kit/core';
import { createTestDatabase, type TestDatabase } from '@kit/test-support/database';
import { requireTestRedis } from '@kit/test-support/redis';
import { startProxy } from '@kit/test-support/tcp-proxy';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoProcess, startDemo, stopAllDemos } from '../test/demo-process.ts';
import { createTestDemo, type TestDemo } from '../test/demo-server.ts';
import { assertClientAddresses, httpRequest, loginAt, refreshAt } from '../test/http-client.ts';
import { logMessages } from '../test/log-lines.ts';
import { loadConfig } from './config.ts';

/**
 * The demo's rate limits as the contract configures them: KIT_RATE_LIMIT_LOGIN and
 * KIT_RATE_LIMIT_TOKEN (requests per client address per minute at /login and /token, 20 and 120 by
 * default, 0 for none; /revoke takes the /token figure, counted apart), and REDIS_URL (counters in
 * Redis rather than PostgreSQL).
 */

describe('loadConfig: the rate-limit variables', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kit-demo-limits-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const load = (env: Record<string, string>) => loadConfig({ KIT_SECRET: generateSecret(), ...env }, dir);

  it('defaults to 20 logins and 120 refreshes a minute, in PostgreSQL', async () => {
    expect(await load({})).toMatchObject({ loginRateLimit: 20, tokenRateLimit: 120, redisUrl: undefined });
    expect(await load({ KIT_RATE_LIMIT_LOGIN: '', KIT_RATE_LIMIT_TOKEN: '' })).toMatchObject({
      loginRateLimit: 20,
      tokenRateLimit: 120,
    });
  });

  it('reads whole numbers, 0 meaning no limit', async () => {
    expect(await load({ KIT_RATE_LIMIT_LOGIN: '0', KIT_RATE_LIMIT_TOKEN: '7' })).toMatchObject({
      loginRateLimit: 0,
      tokenRateLimit: 7,
    });
  });

  it.each(['abc', '-1', '1.5', '1e3', ' 5', '0x10', '10000000000'])(
    'refuses %j with a sentence naming the variable',
    async (value) => {
      for (const name of ['KIT_RATE_LIMIT_LOGIN', 'KIT_RATE_LIMIT_TOKEN']) {
        await expect(load({ [name]: value })).rejects.toThrow(
          new RegExp(`^${name} must be a whole number of requests per client address per minute.*0 to turn`),
        );
      }
    },
  );

  it('takes a redis:// or rediss:// REDIS_URL, and refuses anything else without echoing it', async () => {
    expect((await load({ REDIS_URL: 'redis://127.0.0.1:6379' })).redisUrl).toBe('redis://127.0.0.1:6379');
    expect((await load({ REDIS_URL: 'rediss://u:pw@cache.internal:6380/2' })).redisUrl).toBe(
      'rediss://u:pw@cache.internal:6380/2',
    );
    for (const bad of ['http://u:s3cret@cache.internal', 'redis//:s3cret@cache', 'cache.internal:6379']) {
      const error = await load({ REDIS_URL: bad }).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(error?.message).toMatch(/^REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL/);
      expect(error?.message).not.toContain('s3cret');
      expect(error?.message).not.toContain('cache');
    }
  });
});

describe('the demo server: the limits it is configured with', () => {
  const demos: TestDemo[] = [];
  afterAll(async () => {
    for (const t of demos) await t.close();
  });
  const start = async (env: Record<string, string>) => {
    const t = await createTestDemo(env);
    demos.push(t);
    return t.demo.app;
  };

  // As @hono/node-server passes it: the socket's address identifies the client.
  const from = (address: string) => ({ incoming: { socket: { remoteAddress: address } } });
  const send = (app: Hono, path: string, address: string) =>
    app.request(
      path,
      {
        method: 'POST',
        headers: {
          'content-type': path === '/login' ? 'application/json' : 'application/x-www-form-urlencoded',
        },
        body:
          path === '/login'
            ? JSON.stringify({ username: 'bob', password: 'nope' })
            : path === '/token'
              ? 'grant_type=refresh_token&refresh_token=kit_rt_x'
              : 'token=kit_rt_x',
      },
      from(address),
    );
  const statuses = async (app: Hono, path: string, address: string, n: number) => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push((await send(app, path, address)).status);
    return out;
  };

  it('limits /token and /revoke to KIT_RATE_LIMIT_TOKEN a minute each, counted apart', async () => {
    const app = await start({ KIT_RATE_LIMIT_TOKEN: '2', KIT_RATE_LIMIT_LOGIN: '2' });
    expect(await statuses(app, '/token', '192.0.2.1', 3)).toEqual([400, 400, 429]);
    expect(await statuses(app, '/revoke', '192.0.2.1', 3)).toEqual([200, 200, 429]);
    expect(await statuses(app, '/login', '192.0.2.1', 3)).toEqual([401, 401, 429]);
  });

  it('turns a limit off with 0, and only that one', async () => {
    const noToken = await start({ KIT_RATE_LIMIT_TOKEN: '0', KIT_RATE_LIMIT_LOGIN: '2' });
    expect(new Set(await statuses(noToken, '/token', '192.0.2.2', 121))).toEqual(new Set([400]));
    expect(new Set(await statuses(noToken, '/revoke', '192.0.2.2', 121))).toEqual(new Set([200]));
    expect(await statuses(noToken, '/login', '192.0.2.2', 3)).toEqual([401, 401, 429]);
    const noLogin = await start({ KIT_RATE_LIMIT_LOGIN: '0', KIT_RATE_LIMIT_TOKEN: '2' });
    expect(new Set(await statuses(noLogin, '/login', '192.0.2.3', 21))).toEqual(new Set([401]));
    expect(await statuses(noLogin, '/token', '192.0.2.3', 3)).toEqual([400, 400, 429]);
  });
});

describe('the demo server: rate-limit variables at startup', () => {
  afterAll(async () => {
    await stopAllDemos();
  });

  it('refuses a bad KIT_RATE_LIMIT_TOKEN with one sentence and exit 1, before touching a database', async () => {
    const error = await startDemo('bad-limit', {
      KIT_SECRET: generateSecret(),
      DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none',
      KIT_RATE_LIMIT_TOKEN: 'plenty',
    }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(/exited \(code 1,/);
    expect(error?.message).toContain(
      'demo: KIT_RATE_LIMIT_TOKEN must be a whole number of requests per client address per minute',
    );
    expect(error?.message).not.toMatch(/^\s+at /m); // no stack trace
  });
});

const redisUrl = await requireTestRedis('the demo tests with REDIS_URL');

describe.skipIf(!redisUrl)('two demo servers with REDIS_URL', () => {
  let db: TestDatabase;
  let a: DemoProcess;
  let b: DemoProcess;
  // An address of this run's own: the demo's Redis keys outlive a run by up to two minutes.
  const address = `127.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;

  beforeAll(async () => {
    await assertClientAddresses();
    db = await createTestDatabase();
    const env = {
      DATABASE_URL: db.url,
      KIT_SECRET: generateSecret(),
      REDIS_URL: redisUrl!,
      KIT_RATE_LIMIT_TOKEN: '3',
      KIT_RATE_LIMIT_LOGIN: '0',
    };
    [a, b] = await Promise.all([startDemo('a', env), startDemo('b', env)]);
  }, 120_000);
  afterAll(async () => {
    await stopAllDemos();
    await db?.drop();
  });

  it('say where the counters live', () => {
    const where = new URL(redisUrl!);
    for (const server of [a, b]) {
      expect(logMessages(server.output)).toContain(
        `rate limits in Redis at ${where.hostname}:${where.port || 6379}`,
      );
    }
  });

  it('count /token over both instances through Redis (KIT_RATE_LIMIT_TOKEN=3), and /revoke apart', async () => {
    const answers = [];
    for (const s of [a, b, a, b]) answers.push(await refreshAt(s.url, 'kit_rt_x', address));
    expect(answers.map((x) => x.status)).toEqual([400, 400, 400, 429]);
    expect(answers[3]!.headers['retry-after']).toMatch(/^[1-9]\d*$/);
    const revoke = (s: DemoProcess) =>
      httpRequest(`${s.url}/revoke`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'token=kit_rt_x',
        localAddress: address,
      });
    const revokes = [];
    for (const s of [b, a, b, a]) revokes.push((await revoke(s)).status);
    expect(revokes).toEqual([200, 200, 200, 429]);
  });

  it('let logins through unlimited with KIT_RATE_LIMIT_LOGIN=0', async () => {
    const statuses = new Set<number>();
    for (let i = 0; i < 21; i++) statuses.add((await loginAt(a.url, 'alice', 'wrong', address)).status);
    expect(statuses).toEqual(new Set([401]));
  });
});

describe.skipIf(!redisUrl)('a demo server whose Redis is away', () => {
  let db: TestDatabase;
  afterAll(async () => {
    await stopAllDemos();
    await db?.drop();
  });

  it('starts anyway, answers 503 at the limited routes only, and recovers when Redis is back', async () => {
    const target = new URL(redisUrl!);
    const proxy = await startProxy({ host: target.hostname, port: Number(target.port || 6379) });
    try {
      await proxy.cut('refuse');
      db = await createTestDatabase();
      const through = new URL(redisUrl!);
      through.host = `127.0.0.1:${proxy.port}`;
      const server = await startDemo('redis-away', {
        DATABASE_URL: db.url,
        KIT_SECRET: generateSecret(),
        REDIS_URL: through.href,
      });
      expect(logMessages(server.output).join('\n')).toContain(`127.0.0.1:${proxy.port} does not answer yet`);
      const refused = await refreshAt(server.url, 'kit_rt_x');
      expect(refused.status).toBe(503);
      expect(JSON.parse(refused.text)).toMatchObject({ error: 'temporarily_unavailable' });
      expect(refused.headers['retry-after']).toMatch(/^[1-5]$/);
      expect((await httpRequest(`${server.url}/healthz`)).status).toBe(200);

      await proxy.restore();
      await expect
        .poll(async () => (await refreshAt(server.url, 'kit_rt_x')).status, {
          timeout: 10_000,
          interval: 200,
        })
        .toBe(400);
      expect(logMessages(server.output)).toContain(`redis: connected to 127.0.0.1:${proxy.port} again`);
    } finally {
      await proxy.close();
    }
  }, 60_000);
});
