import {
  KitInvalidOptionsError,
  type RateLimitHit,
  type RateLimitStore,
  validateRateLimitHit,
} from '@kit/core';

/**
 * A {@link RateLimitStore} in the memory of one process (or one edge isolate): limits hold per
 * instance only. For several instances use the PostgreSQL store
 * (`createMikroOrmRateLimitStore` from `@kit/core/mikro-orm`) or a Redis one. At most `maxKeys`
 * keys are kept; when full, the stalest windows are dropped first, so memory stays bounded
without a purge.
 *
 * @default maxKeys 10000
 * @example
 * ```ts
 * import { createKitRoutes, createMemoryRateLimitStore } from '@kit/hono';
 *
 * const routes = createKitRoutes(kit, { rateLimit: { store: createMemoryRateLimitStore() } });
 * ```
 */
export function createMemoryRateLimitStore(options: { maxKeys?: number } = {}): RateLimitStore {
  const maxKeys = options.maxKeys ?? 10_000;
  if (!Number.isSafeInteger(maxKeys) || maxKeys < 1) {
    throw new KitInvalidOptionsError('`maxKeys` must be a positive whole number.');
  }
  // Map keeps insertion order; a key is re-inserted on every new window, so the first entries are
  // the stalest.
  const counters = new Map<string, RateLimitHit>();
  return {
    async hit(key, { windowMs, now }) {
      // The same checks as every store of the kit (an empty key, a zero window, NaN...).
      const windowStart = validateRateLimitHit(key, { windowMs, now });
      const stored = counters.get(key);
      let next: RateLimitHit;
      if (!stored) next = { count: 1, previousCount: 0, windowStart };
      else if (windowStart > stored.windowStart) {
        next = {
          count: 1,
          previousCount: windowStart === stored.windowStart + windowMs ? stored.count : 0,
          windowStart,
        };
      } else next = { ...stored, count: stored.count + 1 };
      if (!stored || next.windowStart !== stored.windowStart) counters.delete(key);
      counters.set(key, next);
      while (counters.size > maxKeys) counters.delete(counters.keys().next().value as string);
      return { ...next };
    },
  };
}
