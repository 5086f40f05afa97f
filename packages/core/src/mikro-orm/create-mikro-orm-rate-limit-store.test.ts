import { createTestDatabase, type TestDatabase } from '@kit/test-support/database';
import type { MikroORM } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RateLimitStore } from '../store/rate-limit-store.ts';
import { describeRateLimitStoreConformance } from '../testing/index.ts';
import { createKitOrm, createMikroOrmRateLimitStore, migrate } from './index.ts';

// Two ORMs, two pools: two application instances sharing one database.
describeRateLimitStoreConformance('PostgreSQL', async () => {
  const db = await createTestDatabase();
  const orms = [
    await createKitOrm({ databaseUrl: db.url, poolSize: 8 }),
    await createKitOrm({ databaseUrl: db.url, poolSize: 8 }),
  ];
  await migrate(orms[0]!);
  return {
    store: createMikroOrmRateLimitStore({ orm: orms[0]! }),
    peer: createMikroOrmRateLimitStore({ orm: orms[1]! }),
    async cleanup() {
      for (const orm of orms) await orm.close();
      await db.drop();
    },
  };
});

describe('createMikroOrmRateLimitStore', () => {
  let db: TestDatabase;
  let orms: MikroORM[];
  let a: RateLimitStore;
  let b: RateLimitStore;
  const W = 60_000;
  const T0 = Date.UTC(2030, 0, 1, 12); // a window boundary

  beforeAll(async () => {
    db = await createTestDatabase();
    // Two ORMs, two pools: two application instances sharing one database.
    orms = [
      await createKitOrm({ databaseUrl: db.url, poolSize: 8 }),
      await createKitOrm({ databaseUrl: db.url, poolSize: 8 }),
    ];
    await migrate(orms[0]!);
    a = createMikroOrmRateLimitStore({ orm: orms[0]! });
    b = createMikroOrmRateLimitStore({ orm: orms[1]! });
  });
  afterAll(async () => {
    for (const orm of orms) await orm.close();
    await db.drop();
  });

  it('refuses to be made without a MikroORM instance, with ERR_INVALID_OPTIONS', () => {
    for (const options of [undefined, {}, { orm: {} }]) {
      expect(() => createMikroOrmRateLimitStore(options as never)).toThrow(
        expect.objectContaining({
          code: 'ERR_INVALID_OPTIONS',
          message: expect.stringMatching(/needs \{ orm \}/),
        }),
      );
    }
  });

  it('counts every concurrent hit from two instances exactly once', async () => {
    const hits = await Promise.all(
      Array.from({ length: 60 }, (_, i) => (i % 2 ? a : b).hit('k:concurrent', { windowMs: W, now: T0 + i })),
    );
    const counts = hits.map((h) => h.count).sort((x, y) => x - y);
    expect(counts).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    expect(hits.every((h) => h.windowStart === T0 && h.previousCount === 0)).toBe(true);
  });

  it('carries the count into previousCount in the next window, and drops it after a gap', async () => {
    for (let i = 0; i < 3; i++) await a.hit('k:slide', { windowMs: W, now: T0 + 10 });
    expect(await b.hit('k:slide', { windowMs: W, now: T0 + W + 5 })).toEqual({
      count: 1,
      previousCount: 3,
      windowStart: T0 + W,
    });
    // A caller with a slow clock counts in the stored (newer) window.
    expect(await a.hit('k:slide', { windowMs: W, now: T0 + 20 })).toEqual({
      count: 2,
      previousCount: 3,
      windowStart: T0 + W,
    });
    expect(await a.hit('k:slide', { windowMs: W, now: T0 + 5 * W })).toEqual({
      count: 1,
      previousCount: 0,
      windowStart: T0 + 5 * W,
    });
  });

  it('keeps keys apart, purges ended windows and refuses bad input', async () => {
    expect((await a.hit('k:one', { windowMs: W, now: T0 })).count).toBe(1);
    expect((await a.hit('k:two', { windowMs: W, now: T0 })).count).toBe(1);
    expect(await a.purge!(T0 + 100 * W)).toBeGreaterThanOrEqual(2);
    expect((await b.hit('k:one', { windowMs: W, now: T0 })).count).toBe(1);
    await expect(a.hit('', { windowMs: W, now: T0 })).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' });
    await expect(a.hit('x'.repeat(256), { windowMs: W, now: T0 })).rejects.toMatchObject({
      code: 'ERR_INVALID_INPUT',
    });
    await expect(a.hit('k', { windowMs: 0, now: T0 })).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' });
  });

  it('counts a burst on one key in a few statements, each hit seeing its own count', async () => {
    // Counts the statements: each takes one connection from the ORM's pool.
    const client = orms[0]!.em.getConnection().getKnex().client as { acquireConnection(): Promise<unknown> };
    const acquire = client.acquireConnection;
    let statements = 0;
    client.acquireConnection = function (this: unknown) {
      statements++;
      return acquire.call(this);
    };
    try {
      const hits = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          a.hit(i % 4 ? 'k:burst' : 'k:burst-other', { windowMs: W, now: T0 + i }),
        ),
      );
      // In any order (two statements run at once), but each count once.
      const sorted = (list: { count: number }[]) => list.map((h) => h.count).sort((x, y) => x - y);
      expect(sorted(hits.filter((_, i) => i % 4))).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
      expect(sorted(hits.filter((_, i) => !(i % 4)))).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
      // Two alone while nothing else was in flight, then the rest together.
      expect(statements).toBeLessThanOrEqual(4);
    } finally {
      client.acquireConnection = acquire;
    }
    expect((await b.hit('k:burst', { windowMs: W, now: T0 })).count).toBe(31);
  });

  it('counts hits on one key in two windows, queued together, one by one', async () => {
    const hits = await Promise.all(
      Array.from({ length: 20 }, (_, i) => a.hit('k:turn', { windowMs: W, now: i % 2 ? T0 + W : T0 })),
    );
    expect(hits).toHaveLength(20);
    // Every hit counted once: in the window it named, or (a slow clock's) in the newer one stored.
    const next = await b.hit('k:turn', { windowMs: W, now: T0 + W });
    expect(next.windowStart).toBe(T0 + W);
    expect(next.count + next.previousCount).toBe(21);
  });

  it('fails only the hit whose row the statement did not return, and counts the others once', async () => {
    // A host's trigger that drops one key's writes: the statement returns no row for it.
    await orms[0]!.em.getConnection().execute(`
      create function drop_one_key() returns trigger language plpgsql as $$
        begin if new.key = 'k:dropped' then return null; end if; return new; end $$;
      create trigger drop_one_key before insert or update on kit_rate_limits
        for each row execute function drop_one_key()`);
    try {
      const outcomes = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) => a.hit(i % 2 ? 'k:kept' : 'k:dropped', { windowMs: W, now: T0 })),
      );
      const kept = outcomes.filter((_, i) => i % 2);
      const counts = kept.map((o) => (o.status === 'fulfilled' ? o.value.count : -1));
      expect(counts.sort((x, y) => x - y)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
      for (const outcome of outcomes.filter((_, i) => !(i % 2))) {
        expect(outcome).toMatchObject({ status: 'rejected', reason: { code: 'ERR_STORE_FAILURE' } });
      }
    } finally {
      await orms[0]!.em
        .getConnection()
        .execute('drop trigger drop_one_key on kit_rate_limits; drop function drop_one_key()');
    }
    expect((await b.hit('k:kept', { windowMs: W, now: T0 })).count).toBe(11);
  });

  it('refuses a batchSize that is not a whole number from 1 to 1000, with ERR_INVALID_OPTIONS', () => {
    for (const batchSize of [0, 1.5, 1001, Number.NaN]) {
      expect(() => createMikroOrmRateLimitStore({ orm: orms[0]!, batchSize })).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_OPTIONS', message: expect.stringMatching(/batchSize/) }),
      );
    }
  });

  it('reports an unreachable database as ERR_STORE_UNAVAILABLE', async () => {
    const down = await createKitOrm({ databaseUrl: 'postgres://postgres@127.0.0.1:1/none', timeoutMs: 200 });
    try {
      await expect(
        createMikroOrmRateLimitStore({ orm: down }).hit('k', { windowMs: W, now: T0 }),
      ).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
    } finally {
      await down.close();
    }
  });
});
