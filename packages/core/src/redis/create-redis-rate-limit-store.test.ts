import { requireTestRedis, testRedisPrefix } from '@kit/test-support/redis';
import { startProxy } from '@kit/test-support/tcp-proxy';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RateLimitStore } from '../store/rate-limit-store.ts';
import { describeRateLimitStoreConformance } from '../testing/index.ts';
import { createRedisRateLimitStore } from './index.ts';

const url = await requireTestRedis('the Redis rate-limit store tests');
const prefix = testRedisPrefix('redis-rate-limit-store');
const W = 60_000;
const T0 = Date.UTC(2030, 0, 1, 12); // a window boundary

type Client = ReturnType<typeof createClient>;
const clients: Client[] = [];

async function connectClient(target: string = url!, options: Parameters<typeof createClient>[0] = {}) {
  const client = createClient({ url: target, ...options });
  // An unheard `error` event would end the test process; the tests observe errors through hits.
  client.on('error', () => undefined);
  clients.push(client);
  await client.connect();
  return client;
}

afterAll(() => {
  for (const client of clients) if (client.isOpen) client.destroy();
});

if (url) {
  // Two clients, two connections: two application instances sharing one Redis.
  describeRateLimitStoreConformance('Redis', async () => ({
    store: createRedisRateLimitStore({ client: await connectClient(), prefix }),
    peer: createRedisRateLimitStore({ client: await connectClient(), prefix }),
  }));
}

describe.skipIf(!url)('createRedisRateLimitStore', () => {
  let redis: Client;
  let store: RateLimitStore;

  beforeAll(async () => {
    redis = await connectClient();
    store = createRedisRateLimitStore({ client: redis, prefix });
  });

  it('keeps one hash per key, under the prefix, living until the end of the next window', async () => {
    await store.hit('ttl', { windowMs: W, now: T0 + W / 2 });
    expect(await redis.hGetAll(`${prefix}ttl`)).toEqual({ s: String(T0), c: '1', p: '0' });
    // The caller's clock decides: T0 + 2W - (T0 + W/2) = 1.5 windows, whatever Redis's own clock says.
    const ttl = await redis.pTTL(`${prefix}ttl`);
    expect(ttl).toBeGreaterThan(1.5 * W - 1000);
    expect(ttl).toBeLessThanOrEqual(1.5 * W);
    // A later hit in the same window never shortens it (a caller whose clock runs ahead).
    await store.hit('ttl', { windowMs: W, now: T0 + W - 1 });
    expect(await redis.pTTL(`${prefix}ttl`)).toBeGreaterThan(1.5 * W - 1000);
    // A new window extends it.
    await store.hit('ttl', { windowMs: W, now: T0 + W });
    expect(await redis.pTTL(`${prefix}ttl`)).toBeGreaterThan(2 * W - 1000);
  });

  it('lets keys expire on their own once the next window is over', async () => {
    const w = 100;
    await store.hit('expire', { windowMs: w, now: T0 });
    await store.hit('expire', { windowMs: w, now: T0 });
    expect(await redis.exists(`${prefix}expire`)).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 2 * w + 150));
    expect(await redis.exists(`${prefix}expire`)).toBe(0);
    expect(await store.hit('expire', { windowMs: w, now: T0 })).toEqual({
      count: 1,
      previousCount: 0,
      windowStart: T0,
    });
  });

  it('sends the script itself when Redis has lost it (NOSCRIPT), and keeps counting', async () => {
    await store.hit('noscript', { windowMs: W, now: T0 });
    await redis.scriptFlush();
    expect((await store.hit('noscript', { windowMs: W, now: T0 })).count).toBe(2);
    expect((await store.hit('noscript', { windowMs: W, now: T0 })).count).toBe(3);
  });

  it('gives exact counts to N parallel hits from N connections', async () => {
    const many = await Promise.all(Array.from({ length: 8 }, () => connectClient()));
    const stores = many.map((client) => createRedisRateLimitStore({ client, prefix }));
    const hits = await Promise.all(
      Array.from({ length: 400 }, (_, i) =>
        stores[i % stores.length]!.hit('parallel', { windowMs: W, now: T0 }),
      ),
    );
    expect(hits.map((h) => h.count).sort((x, y) => x - y)).toEqual(
      Array.from({ length: 400 }, (_, i) => i + 1),
    );
    for (const client of many) client.destroy();
  });

  it('reports a client that is not connected as ERR_STORE_UNAVAILABLE', async () => {
    const closed = createClient({ url: url! });
    await expect(
      createRedisRateLimitStore({ client: closed, prefix }).hit('closed', { windowMs: W, now: T0 }),
    ).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
  });

  it('fails within timeoutMs while Redis is away, drops the queued hit, and works again when it is back', async () => {
    const target = new URL(url!);
    const proxy = await startProxy({ host: target.hostname, port: Number(target.port || 6379) });
    const works = (s: RateLimitStore) => () =>
      s.hit('outage-probe', { windowMs: W, now: T0 }).then(
        () => true,
        () => false,
      );
    try {
      const through = new URL(url!);
      through.host = `127.0.0.1:${proxy.port}`;
      const client = await connectClient(through.href);
      const away = createRedisRateLimitStore({ client, prefix, timeoutMs: 300 });
      expect((await away.hit('outage', { windowMs: W, now: T0 })).count).toBe(1);

      // Connections refused: the client reconnects in the background and queues commands meanwhile.
      await proxy.cut('refuse');
      await expect.poll(() => client.isReady).toBe(false);
      let started = performance.now();
      await expect(away.hit('outage', { windowMs: W, now: T0 })).rejects.toMatchObject({
        code: 'ERR_STORE_UNAVAILABLE',
      });
      expect(performance.now() - started).toBeLessThan(1000);
      await proxy.restore();
      // node-redis reconnects by itself: the store needs no restart.
      await expect.poll(works(away), { timeout: 5000, interval: 100 }).toBe(true);
      // The refused hit was dropped from the client's queue when it timed out, not sent on reconnect:
      // a caller told "unavailable" is not counted behind its back.
      expect((await store.hit('outage', { windowMs: W, now: T0 })).count).toBe(2);

      // A partition: the connection stays open and goes silent; only the timeout ends the wait.
      await proxy.cut('partition');
      started = performance.now();
      await expect(away.hit('partition', { windowMs: W, now: T0 })).rejects.toMatchObject({
        code: 'ERR_STORE_UNAVAILABLE',
      });
      expect(performance.now() - started).toBeLessThan(1000);
      await proxy.restore();
      await expect.poll(works(away), { timeout: 5000, interval: 100 }).toBe(true);
    } finally {
      await proxy.close();
    }
  });

  it('maps other Redis errors to ERR_STORE_FAILURE, never carrying the key or the reply', async () => {
    const key = 'wrongtype:203.0.113.7';
    await redis.set(`${prefix}${key}`, 'not a hash');
    await redis.pExpire(`${prefix}${key}`, 60_000);
    const error = await store.hit(key, { windowMs: W, now: T0 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'ERR_STORE_FAILURE' });
    const cause = (error as Error).cause as Error;
    expect(cause.message).toMatch(/WRONGTYPE/);
    const seen = `${(error as Error).message} ${cause.message} ${cause.stack} ${JSON.stringify(error)}`;
    expect(seen).not.toContain('203.0.113.7');
    expect(seen).not.toContain('wrong kind of value');
  });

  it('refuses bad options when created and bad input per hit', async () => {
    expect(() => createRedisRateLimitStore({} as never)).toThrow(/needs \{ client \}/);
    expect(() => createRedisRateLimitStore({ client: redis, timeoutMs: 0 })).toThrow(/timeoutMs/);
    expect(() => createRedisRateLimitStore({ client: redis, prefix: 'x'.repeat(129) })).toThrow(/prefix/);
    for (const bad of [
      () => store.hit('', { windowMs: W, now: T0 }),
      () => store.hit('x'.repeat(256), { windowMs: W, now: T0 }),
      () => store.hit('k', { windowMs: 0, now: T0 }),
      () => store.hit('k', { windowMs: 1.5, now: T0 }),
      () => store.hit('k', { windowMs: W, now: Number.NaN }),
    ]) {
      await expect(bad()).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' });
    }
  });
});
