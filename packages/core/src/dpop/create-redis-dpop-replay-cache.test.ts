import { requireTestRedis, testRedisPrefix } from '@kit/test-support/redis';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisDpopReplayCache } from '../redis/index.ts';
import { describeDpopReplayCacheConformance } from '../testing/index.ts';

const url = await requireTestRedis('the Redis DPoP replay cache tests');
const prefix = testRedisPrefix('redis-dpop-replay-cache');
const T0 = Date.UTC(2030, 0, 1, 12);

const clients: { isOpen: boolean; destroy(): void }[] = [];

async function connectClient() {
  const client = createClient({ url: url! });
  // An unheard `error` event would end the test process.
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
  describeDpopReplayCacheConformance('Redis', async () => ({
    cache: createRedisDpopReplayCache({ client: await connectClient(), prefix }),
    peer: createRedisDpopReplayCache({ client: await connectClient(), prefix }),
  }));
}

describe.skipIf(!url)('createRedisDpopReplayCache', () => {
  let redis: Awaited<ReturnType<typeof connectClient>>;

  beforeAll(async () => {
    redis = await connectClient();
  });

  it('checks its options when it runs', () => {
    for (const [options, message] of [
      [undefined, /needs \{ client \}/],
      [{ client: {} }, /needs \{ client \}/],
      [{ client: redis, prefix: 'p'.repeat(129) }, /prefix/],
      [{ client: redis, timeoutMs: 5 }, /timeoutMs/],
    ] as const) {
      expect(() => createRedisDpopReplayCache(options as never)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_OPTIONS', message: expect.stringMatching(message) }),
      );
    }
  });

  it('writes one key under the prefix, living until the expiry plus a minute', async () => {
    const cache = createRedisDpopReplayCache({ client: redis, prefix });
    expect(await cache.remember('ttl', { expiresAt: T0 + 65_000, now: T0 })).toBe(true);
    expect(await redis.get(`${prefix}ttl`)).toBe('1');
    const ttl = await redis.pTTL(`${prefix}ttl`);
    expect(ttl).toBeGreaterThan(125_000 - 1000);
    expect(ttl).toBeLessThanOrEqual(125_000);
  });

  it('accepts exactly one of 400 concurrent callers of one key, through eight connections', async () => {
    const caches = await Promise.all(
      Array.from({ length: 8 }, async () =>
        createRedisDpopReplayCache({ client: await connectClient(), prefix }),
      ),
    );
    const answers = await Promise.all(
      Array.from({ length: 400 }, (_, i) =>
        caches[i % 8]!.remember('race', { expiresAt: T0 + 65_000, now: T0 }),
      ),
    );
    expect(answers.filter(Boolean)).toHaveLength(1);
  });

  it('reports a client that is not connected as ERR_STORE_UNAVAILABLE', async () => {
    const closed = createClient({ url: url! });
    await expect(
      createRedisDpopReplayCache({ client: closed, prefix }).remember('closed', {
        expiresAt: T0 + 1000,
        now: T0,
      }),
    ).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
  });

  it('fails within timeoutMs when the client never answers, and on a reply it does not expect', async () => {
    const silent = { set: () => new Promise<never>(() => undefined) };
    const started = Date.now();
    await expect(
      createRedisDpopReplayCache({ client: silent, timeoutMs: 50 }).remember('k', {
        expiresAt: T0 + 1000,
        now: T0,
      }),
    ).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
    expect(Date.now() - started).toBeLessThan(2000);
    const odd = { set: async () => 1 };
    await expect(
      createRedisDpopReplayCache({ client: odd }).remember('k', { expiresAt: T0 + 1000, now: T0 }),
    ).rejects.toMatchObject({ code: 'ERR_STORE_FAILURE' });
  });

  it('never overwrites a key it finds, whatever it holds: the entry counts as held', async () => {
    await redis.hSet(`${prefix}foreign`, 'f', 'v');
    const cache = createRedisDpopReplayCache({ client: redis, prefix });
    expect(await cache.remember('foreign', { expiresAt: T0 + 1000, now: T0 })).toBe(false);
    expect(await redis.hGet(`${prefix}foreign`, 'f')).toBe('v');
  });
});
