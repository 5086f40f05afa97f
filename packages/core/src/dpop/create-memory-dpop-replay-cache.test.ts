import { describe, expect, it } from 'vitest';
import { createMemoryDpopReplayCache } from '../index.ts';
import { describeDpopReplayCacheConformance } from '../testing/index.ts';

describeDpopReplayCacheConformance('memory', async () => ({ cache: createMemoryDpopReplayCache() }));

const T0 = Date.UTC(2030, 0, 1, 12);

describe('createMemoryDpopReplayCache', () => {
  it('says its entries live in this process only (the routes that follow the kit keep their own)', () => {
    expect(createMemoryDpopReplayCache().scope).toBe('process');
  });

  it('checks maxEntries when it runs', () => {
    for (const maxEntries of [0, -1, 1.5, Number.NaN, '10']) {
      expect(() => createMemoryDpopReplayCache({ maxEntries } as never)).toThrow(
        expect.objectContaining({
          code: 'ERR_INVALID_OPTIONS',
          message: expect.stringMatching(/maxEntries/),
        }),
      );
    }
  });

  it('forgets an entry at its expiry, and takes the key again', async () => {
    const cache = createMemoryDpopReplayCache();
    expect(await cache.remember('k', { expiresAt: T0 + 100, now: T0 })).toBe(true);
    expect(await cache.remember('k', { expiresAt: T0 + 200, now: T0 + 99 })).toBe(false);
    expect(await cache.remember('k', { expiresAt: T0 + 300, now: T0 + 100 })).toBe(true);
    expect(await cache.remember('k', { expiresAt: T0 + 400, now: T0 + 299 })).toBe(false);
  });

  it('when full of live entries, refuses a new one (ERR_STORE_UNAVAILABLE) rather than forget one', async () => {
    const cache = createMemoryDpopReplayCache({ maxEntries: 3 });
    for (const k of ['a', 'b', 'c'])
      expect(await cache.remember(k, { expiresAt: T0 + 1000, now: T0 })).toBe(true);
    await expect(cache.remember('d', { expiresAt: T0 + 1000, now: T0 })).rejects.toMatchObject({
      code: 'ERR_STORE_UNAVAILABLE',
    });
    // Every live entry is still a replay.
    for (const k of ['a', 'b', 'c'])
      expect(await cache.remember(k, { expiresAt: T0 + 1000, now: T0 + 1 })).toBe(false);
    // Once they expire, there is room again.
    expect(await cache.remember('d', { expiresAt: T0 + 2000, now: T0 + 1000 })).toBe(true);
  });

  it('drops expired entries as it goes, so a steady flow never fills it', async () => {
    const cache = createMemoryDpopReplayCache({ maxEntries: 100 });
    // 3,000 entries living 50 ms each, one every millisecond: at most ~50 are live at once.
    for (let i = 0; i < 3_000; i++) {
      expect(await cache.remember(`k${i}`, { expiresAt: T0 + i + 50, now: T0 + i })).toBe(true);
    }
  });
});
