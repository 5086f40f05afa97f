import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DpopReplayCache } from '../dpop/replay-cache.ts';

/**
 * What {@link describeDpopReplayCacheConformance} needs: a cache, optionally a second cache on the
 * same backend (another application instance: its own client or pool), and how to dispose of them.
 */
export interface DpopReplayCacheFixture {
  cache: DpopReplayCache;
  /**
   * A second cache sharing the first one's entries (a second connection, as another instance
   * would have). Caches that live in one process's memory leave it out.
   * @default cache
   */
  peer?: DpopReplayCache;
  cleanup?: () => Promise<void>;
}

/** A time the cases remember at: the callers' clock, not the backend's. */
const T0 = Date.UTC(2030, 0, 1, 12);
/** An entry's life in the cases: the verifier's default window. */
const LIFE = 65_000;

/**
 * The conformance suite every {@link DpopReplayCache} must pass: the contract written on the
 * interface, against the real backend. An entry is remembered once and then reported as a replay,
 * by the peer too, until its expiry; under concurrent calls with one key, through two connections,
 * exactly one caller is told the key is new; refused input remembers nothing. Keys start with a
 * random prefix, so runs never see each other's entries on a backend that outlives them. Call it
 * at the top level of a vitest test file.
 *
 * Needs `vitest`.
 *
 * @example
 * ```ts
 * import { describeDpopReplayCacheConformance } from '@kit/core/testing';
 * import { createKitOrm, createMikroOrmDpopReplayCache, migrate } from '@kit/core/mikro-orm';
 *
 * describeDpopReplayCacheConformance('PostgreSQL', async () => {
 *   const orm = await createKitOrm({ databaseUrl: process.env.DATABASE_URL! });
 *   await migrate(orm);
 *   return { cache: createMikroOrmDpopReplayCache({ orm }), cleanup: () => orm.close() };
 * });
 * ```
 */
export function describeDpopReplayCacheConformance(
  name: string,
  createFixture: () => Promise<DpopReplayCacheFixture>,
): void {
  describe(`DpopReplayCache conformance: ${name}`, () => {
    let fixture: DpopReplayCacheFixture;
    let a: DpopReplayCache;
    let b: DpopReplayCache;
    const run = `conformance-${crypto.randomUUID().slice(0, 8)}`;
    const key = (k: string) => `${run}:${k}`;

    beforeAll(async () => {
      fixture = await createFixture();
      a = fixture.cache;
      b = fixture.peer ?? fixture.cache;
    });
    afterAll(async () => {
      await fixture?.cleanup?.();
    });

    it('remembers a key once: the same key again is a replay, for every instance', async () => {
      const entry = { expiresAt: T0 + LIFE, now: T0 };
      expect(await a.remember(key('once'), entry)).toBe(true);
      expect(await a.remember(key('once'), entry)).toBe(false);
      expect(await b.remember(key('once'), { expiresAt: T0 + 2 * LIFE, now: T0 + 1000 })).toBe(false);
      expect(await b.remember(key('other'), entry)).toBe(true);
    });

    it("does not call itself this process's when a peer instance sees its entries", () => {
      // The routes that follow the kit share its cache only when its scope is not `'process'`.
      if (fixture.peer) expect(a.scope).not.toBe('process');
    });

    it('holds an entry until its expiry by the caller clock', async () => {
      expect(await a.remember(key('until'), { expiresAt: T0 + LIFE, now: T0 })).toBe(true);
      expect(await b.remember(key('until'), { expiresAt: T0 + 2 * LIFE, now: T0 + LIFE - 1 })).toBe(false);
    });

    it('tells exactly one of many concurrent callers, on two connections, that a key is new', async () => {
      for (let round = 0; round < 5; round++) {
        const entry = { expiresAt: T0 + LIFE, now: T0 };
        const answers = await Promise.all(
          Array.from({ length: 64 }, (_, i) => (i % 2 === 0 ? a : b).remember(key(`race-${round}`), entry)),
        );
        expect(answers.filter(Boolean)).toHaveLength(1);
      }
    });

    it('tells every caller its own key is new under concurrency', async () => {
      const entry = { expiresAt: T0 + LIFE, now: T0 };
      const answers = await Promise.all(
        Array.from({ length: 64 }, (_, i) => (i % 2 === 0 ? a : b).remember(key(`many-${i}`), entry)),
      );
      expect(answers.every(Boolean)).toBe(true);
    });

    it('refuses bad arguments with ERR_INVALID_INPUT and remembers nothing', async () => {
      const bad: [string, { expiresAt: number; now: number }][] = [
        ['', { expiresAt: T0 + LIFE, now: T0 }],
        [key('x').padEnd(256, 'x'), { expiresAt: T0 + LIFE, now: T0 }],
        [key('bad'), { expiresAt: T0 + LIFE, now: T0 + 0.5 }],
        [key('bad'), { expiresAt: Number.NaN, now: T0 }],
        [key('bad'), { expiresAt: T0, now: T0 }],
        [key('bad'), { expiresAt: T0 - 1, now: T0 }],
        [key('bad'), { expiresAt: T0 + 24 * 3600 * 1000 + 1, now: T0 }],
      ];
      for (const [k, entry] of bad) {
        await expect(a.remember(k, entry)).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' });
      }
      expect(await b.remember(key('bad'), { expiresAt: T0 + LIFE, now: T0 })).toBe(true);
    });
  });
}
