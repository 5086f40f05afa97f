import { describeRateLimitStoreConformance } from '@kit/core/testing';
import { describe, expect, it } from 'vitest';
import { createMemoryRateLimitStore } from './create-memory-rate-limit-store.ts';

describeRateLimitStoreConformance('memory', async () => ({ store: createMemoryRateLimitStore() }));

describe('createMemoryRateLimitStore', () => {
  it('keeps at most maxKeys keys, dropping the stalest window first', async () => {
    const store = createMemoryRateLimitStore({ maxKeys: 2 });
    const W = 60_000;
    await store.hit('a', { windowMs: W, now: 0 });
    await store.hit('b', { windowMs: W, now: 0 });
    await store.hit('a', { windowMs: W, now: W }); // 'a' moves to a newer window: 'b' is stalest
    await store.hit('c', { windowMs: W, now: W });
    expect((await store.hit('a', { windowMs: W, now: W })).count).toBe(2);
    expect((await store.hit('b', { windowMs: W, now: 0 })).count).toBe(1); // dropped, starts again
  });

  it('refuses a bad maxKeys', () => {
    expect(() => createMemoryRateLimitStore({ maxKeys: 0 })).toThrow(/maxKeys/);
  });
});
