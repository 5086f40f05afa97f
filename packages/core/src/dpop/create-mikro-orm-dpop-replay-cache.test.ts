import { createTestDatabase, type TestDatabase } from '@kit/test-support/database';
import { DPOP_T0, generateDpopKey, makeProof } from '@kit/test-support/dpop';
import type { MikroORM } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDpopProofVerifier } from '../index.ts';
import { createKitOrm, createMikroOrmDpopReplayCache, migrate } from '../mikro-orm/index.ts';
import { describeDpopReplayCacheConformance } from '../testing/index.ts';
import { requestWith } from './dpop-test-support.ts';

// Two ORMs, two pools: two application instances sharing one database.
describeDpopReplayCacheConformance('PostgreSQL', async () => {
  const db = await createTestDatabase();
  const orms = [
    await createKitOrm({ databaseUrl: db.url, poolSize: 8, timeoutMs: 10_000 }),
    await createKitOrm({ databaseUrl: db.url, poolSize: 8, timeoutMs: 10_000 }),
  ];
  await migrate(orms[0]!);
  return {
    cache: createMikroOrmDpopReplayCache({ orm: orms[0]! }),
    peer: createMikroOrmDpopReplayCache({ orm: orms[1]! }),
    async cleanup() {
      for (const orm of orms) await orm.close();
      await db.drop();
    },
  };
});

const T0 = DPOP_T0;

describe('createMikroOrmDpopReplayCache', () => {
  let db: TestDatabase;
  let orms: MikroORM[];
  const rows = async (where = 'true') =>
    Number(
      (
        (await orms[0]!.em
          .getConnection()
          .execute(`select count(*) as n from kit_dpop_replays where ${where}`)) as {
          n: string;
        }[]
      )[0]!.n,
    );

  beforeAll(async () => {
    db = await createTestDatabase();
    // Generous timeouts: the race below opens every connection of both pools at once, on a
    // machine that may be busy; what is tested is the answers, not the speed.
    orms = [
      await createKitOrm({ databaseUrl: db.url, poolSize: 10, timeoutMs: 10_000 }),
      await createKitOrm({ databaseUrl: db.url, poolSize: 10, timeoutMs: 10_000 }),
    ];
    await migrate(orms[0]!);
  });
  afterAll(async () => {
    for (const orm of orms) await orm.close();
    await db.drop();
  });

  it('refuses to be made without a MikroORM instance or with a bad purgeInterval, with ERR_INVALID_OPTIONS', () => {
    for (const options of [undefined, {}, { orm: {} }]) {
      expect(() => createMikroOrmDpopReplayCache(options as never)).toThrow(
        expect.objectContaining({
          code: 'ERR_INVALID_OPTIONS',
          message: expect.stringMatching(/needs \{ orm \}/),
        }),
      );
    }
    expect(() => createMikroOrmDpopReplayCache({ orm: orms[0]!, purgeInterval: -1 })).toThrow(
      expect.objectContaining({
        code: 'ERR_INVALID_OPTIONS',
        message: expect.stringMatching(/purgeInterval/),
      }),
    );
  });

  it('accepts exactly one of 200 concurrent callers of one key, through two pools', async () => {
    const caches = orms.map((orm) => createMikroOrmDpopReplayCache({ orm, purgeInterval: 0 }));
    for (let round = 0; round < 3; round++) {
      const answers = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          caches[i % 2]!.remember(`race-${round}`, { expiresAt: T0 + 65_000, now: T0 }),
        ),
      );
      expect(answers.filter(Boolean)).toHaveLength(1);
    }
  });

  it('takes over an expired row that is not purged yet, and keeps one row per key', async () => {
    const cache = createMikroOrmDpopReplayCache({ orm: orms[0]!, purgeInterval: 0 });
    expect(await cache.remember('takeover', { expiresAt: T0 + 100, now: T0 })).toBe(true);
    expect(await cache.remember('takeover', { expiresAt: T0 + 200, now: T0 + 99 })).toBe(false);
    expect(await cache.remember('takeover', { expiresAt: T0 + 300, now: T0 + 100 })).toBe(true);
    expect(await cache.remember('takeover', { expiresAt: T0 + 400, now: T0 + 299 })).toBe(false);
    expect(await rows(`key = 'takeover' and expires_at = ${T0 + 300}`)).toBe(1);
  });

  it('purges expired rows in batches, and leaves live ones', async () => {
    await orms[0]!.em.getConnection().execute('delete from kit_dpop_replays');
    const cache = createMikroOrmDpopReplayCache({ orm: orms[0]!, purgeInterval: 0 });
    const base = T0 + 10_000_000;
    for (let i = 0; i < 30; i++) await cache.remember(`purge-${i}`, { expiresAt: base + i, now: base - 1 });
    expect(await cache.purge(base + 10, 4)).toBe(4);
    expect(await cache.purge(base + 10)).toBe(6);
    expect(await rows(`key like 'purge-%'`)).toBe(20);
    await expect(cache.purge(Number.NaN)).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' });
    await expect(cache.purge(base, 0)).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' });
  });

  it('purges by itself, once per interval by the callers clock, a minute past expiry, without delaying calls', async () => {
    await orms[0]!.em.getConnection().execute('delete from kit_dpop_replays');
    const cache = createMikroOrmDpopReplayCache({ orm: orms[0]!, purgeInterval: '1m' });
    const t = T0 + 20_000_000;
    // The first call purges (nothing yet); entries expire at t + 1000.
    for (let i = 0; i < 5; i++) await cache.remember(`auto-${i}`, { expiresAt: t + 1000, now: t });
    // 30 s later: within the interval, no purge.
    await cache.remember('auto-later', { expiresAt: t + 91_000, now: t + 30_000 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await rows(`key like 'auto-%'`)).toBe(6);
    // 70 s later: a purge runs, for rows expired over a minute ago (t + 1000 < t + 70_000 - 60_000).
    await cache.remember('auto-last', { expiresAt: t + 131_000, now: t + 70_000 });
    await expect.poll(() => rows(`key like 'auto-%'`)).toBe(2);
  });

  it('makes a proof accepted by one instance a replay for the other', async () => {
    const [one, two] = orms.map((orm) =>
      createDpopProofVerifier({ replayCache: createMikroOrmDpopReplayCache({ orm }), clock: () => T0 }),
    );
    const proof = makeProof(generateDpopKey('ES256'));
    await expect(one!.verify(requestWith(proof))).resolves.toBeDefined();
    await expect(two!.verify(requestWith(proof))).rejects.toMatchObject({
      code: 'ERR_DPOP_PROOF_INVALID',
      check: 'replay',
    });
  });

  it('answers ERR_STORE_FAILURE, with no key in the message, when the table is missing', async () => {
    const other = await createTestDatabase();
    const orm = await createKitOrm({ databaseUrl: other.url, poolSize: 2 });
    try {
      const error = await createMikroOrmDpopReplayCache({ orm, purgeInterval: 0 })
        .remember('secret-looking-key', { expiresAt: T0 + 1000, now: T0 })
        .catch((e: unknown) => e as Error);
      expect(error).toMatchObject({
        code: 'ERR_STORE_FAILURE',
        message: expect.stringMatching(/migrations/),
      });
      expect(
        JSON.stringify({ message: (error as Error).message, cause: String((error as Error).cause) }),
      ).not.toContain('secret-looking-key');
    } finally {
      await orm.close();
      await other.drop();
    }
  });
});
