import { expect, it } from 'vitest';
import type { RateLimitStore } from '../store/rate-limit-store.ts';

/** The window length the cases hit with. */
const W = 60_000;
/** A window boundary for {@link W}. */
const T0 = Date.UTC(2030, 0, 1, 12);

/**
 * What the cases share: the store and its peer (read once the suite's `beforeAll` has made them),
 * and the run's key prefix.
 */
export interface RateLimitCaseContext {
  stores: () => { a: RateLimitStore; b: RateLimitStore };
  key: (k: string) => string;
}

/**
 * The conformance cases of `RateLimitStore`: counting in a window, the carry into the next,
 * atomicity under concurrent hits, refused input, purge. Called inside the suite's `describe`.
 */
export function rateLimitCases(ctx: RateLimitCaseContext): void {
  windowCases(ctx);
  concurrencyCases(ctx);
  inputCases(ctx);
  purgeCases(ctx);
}

/** Counting in the caller's window, the carry into the next, keys and window lengths apart. */
function windowCases(ctx: RateLimitCaseContext): void {
  const { key } = ctx;
  it('counts hits in the window of the caller clock', async () => {
    const { a, b } = ctx.stores();
    expect(await a.hit(key('count'), { windowMs: W, now: T0 + 1234 })).toEqual({
      count: 1,
      previousCount: 0,
      windowStart: T0,
    });
    expect(await b.hit(key('count'), { windowMs: W, now: T0 + W - 1 })).toEqual({
      count: 2,
      previousCount: 0,
      windowStart: T0,
    });
    expect(await a.hit(key('count'), { windowMs: W, now: T0 + 5 })).toEqual({
      count: 3,
      previousCount: 0,
      windowStart: T0,
    });
  });

  it('carries the count into previousCount in the next window, and drops it after a gap', async () => {
    const { a, b } = ctx.stores();
    for (let i = 0; i < 3; i++) await a.hit(key('slide'), { windowMs: W, now: T0 + 10 });
    expect(await b.hit(key('slide'), { windowMs: W, now: T0 + W + 5 })).toEqual({
      count: 1,
      previousCount: 3,
      windowStart: T0 + W,
    });
    expect(await a.hit(key('slide'), { windowMs: W, now: T0 + 2 * W })).toEqual({
      count: 1,
      previousCount: 1,
      windowStart: T0 + 2 * W,
    });
    // Two windows on: the window just before had no hits.
    expect(await a.hit(key('slide'), { windowMs: W, now: T0 + 4 * W + 1 })).toEqual({
      count: 1,
      previousCount: 0,
      windowStart: T0 + 4 * W,
    });
  });

  it('counts a hit from a caller with a slow clock in the stored, newer window', async () => {
    const { a, b } = ctx.stores();
    await a.hit(key('slow'), { windowMs: W, now: T0 + W });
    expect(await b.hit(key('slow'), { windowMs: W, now: T0 + 20 })).toEqual({
      count: 2,
      previousCount: 0,
      windowStart: T0 + W,
    });
  });

  it('keeps keys apart', async () => {
    const { a, b } = ctx.stores();
    await a.hit(key('one'), { windowMs: W, now: T0 });
    await a.hit(key('one'), { windowMs: W, now: T0 });
    expect((await b.hit(key('two'), { windowMs: W, now: T0 })).count).toBe(1);
    expect((await b.hit(key('one'), { windowMs: W, now: T0 })).count).toBe(3);
  });

  it('uses the window length of each call', async () => {
    const { a } = ctx.stores();
    const w = 1000;
    expect(await a.hit(key('short'), { windowMs: w, now: T0 + 2500 })).toEqual({
      count: 1,
      previousCount: 0,
      windowStart: T0 + 2000,
    });
    expect(await a.hit(key('short'), { windowMs: w, now: T0 + 3999 })).toEqual({
      count: 1,
      previousCount: 1,
      windowStart: T0 + 3000,
    });
  });
}

/** Concurrent hits through two connections: each counted once, one roll-over. */
function concurrencyCases(ctx: RateLimitCaseContext): void {
  const { key } = ctx;
  it('counts every one of many concurrent hits exactly once, each seeing its own', async () => {
    const { a, b } = ctx.stores();
    const n = 100;
    const hits = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        (i % 2 ? a : b).hit(key('concurrent'), { windowMs: W, now: T0 + i }),
      ),
    );
    expect(hits.map((h) => h.count).sort((x, y) => x - y)).toEqual(
      Array.from({ length: n }, (_, i) => i + 1),
    );
    expect(hits.every((h) => h.windowStart === T0 && h.previousCount === 0)).toBe(true);
    expect((await a.hit(key('concurrent'), { windowMs: W, now: T0 })).count).toBe(n + 1);
  });

  it('rolls over exactly once when concurrent hits cross into a new window', async () => {
    const { a, b } = ctx.stores();
    for (let i = 0; i < 4; i++) await a.hit(key('cross'), { windowMs: W, now: T0 });
    const n = 40;
    const hits = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        (i % 2 ? a : b).hit(key('cross'), { windowMs: W, now: T0 + W + i }),
      ),
    );
    expect(hits.map((h) => h.count).sort((x, y) => x - y)).toEqual(
      Array.from({ length: n }, (_, i) => i + 1),
    );
    expect(hits.every((h) => h.windowStart === T0 + W && h.previousCount === 4)).toBe(true);
  });
}

/** The invalid calls every store refuses, and the edge values it accepts. */
function inputCases(ctx: RateLimitCaseContext): void {
  const { key } = ctx;
  it('refuses the same invalid calls as every store, with ERR_INVALID_INPUT (validateRateLimitHit)', async () => {
    const { a, b } = ctx.stores();
    const invalid: [unknown, { windowMs: unknown; now: unknown }][] = [
      ['', { windowMs: W, now: T0 }],
      [key('x').padEnd(256, 'x'), { windowMs: W, now: T0 }],
      [key('nul\u0000'), { windowMs: W, now: T0 }],
      // A lone surrogate has no UTF-8 form: a backend would store another key than the one given.
      [key('lone\ud800'), { windowMs: W, now: T0 }],
      [42, { windowMs: W, now: T0 }],
      [key('window'), { windowMs: 0, now: T0 }],
      [key('window'), { windowMs: -W, now: T0 }],
      [key('window'), { windowMs: 1.5, now: T0 }],
      [key('window'), { windowMs: Number.NaN, now: T0 }],
      [key('window'), { windowMs: '60000', now: T0 }],
      [key('now'), { windowMs: W, now: Number.NaN }],
      [key('now'), { windowMs: W, now: Number.POSITIVE_INFINITY }],
      [key('now'), { windowMs: W, now: String(T0) }],
      // Windows past 2^53 ms could not be told apart exactly.
      [key('large'), { windowMs: W, now: 2 ** 60 }],
      [key('large'), { windowMs: 2 ** 52, now: T0 }],
    ];
    for (const [k, options] of invalid) {
      await expect(
        a.hit(k as string, options as { windowMs: number; now: number }),
        `hit(${JSON.stringify(k)}, ${String(options.windowMs)}, ${String(options.now)})`,
      ).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' });
    }
    // A refused call counted nothing.
    expect((await b.hit(key('window'), { windowMs: W, now: T0 })).count).toBe(1);
    expect((await b.hit(key('large'), { windowMs: W, now: T0 })).count).toBe(1);
    // The longest key allowed, and a time before the epoch, are counted.
    const longest = key('x').padEnd(255, 'x');
    expect((await a.hit(longest, { windowMs: W, now: T0 })).count).toBe(1);
    expect(await b.hit(key('early'), { windowMs: W, now: -1 })).toEqual({
      count: 1,
      previousCount: 0,
      windowStart: -W,
    });
  });
}

/** Purging ended windows, for stores that purge. */
function purgeCases(ctx: RateLimitCaseContext): void {
  const { key } = ctx;
  it('purges windows that ended before the given time, when it can purge', async () => {
    const { a, b } = ctx.stores();
    if (!a.purge) return; // stores whose counters expire on their own need no purge
    await a.hit(key('purge'), { windowMs: W, now: T0 });
    await a.hit(key('purge'), { windowMs: W, now: T0 });
    expect(await a.purge(T0)).toBeGreaterThanOrEqual(0);
    expect((await b.hit(key('purge'), { windowMs: W, now: T0 })).count).toBe(3);
    expect(await a.purge(T0 + 1000 * W)).toBeGreaterThanOrEqual(1);
    expect((await b.hit(key('purge'), { windowMs: W, now: T0 })).count).toBe(1);
  });
}
