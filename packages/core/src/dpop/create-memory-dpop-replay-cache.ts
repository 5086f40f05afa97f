import { KitInvalidOptionsError, KitStoreUnavailableError } from '../errors.ts';
import { type DpopReplayCache, validateDpopReplayEntry } from './replay-cache.ts';

/**
 * Options of {@link createMemoryDpopReplayCache}.
 */
export interface MemoryDpopReplayCacheOptions {
  /**
   * Most entries held at once. Each accepted proof is held for the verifier's window (65 s by
   * default), so the default covers about 1,500 proofs a second. A full cache refuses new entries
   * (`ERR_STORE_UNAVAILABLE`, answered 503) rather than forget a live one, which would let that
   * proof be replayed. About 100 bytes an entry.
   * @default 100000
   */
  maxEntries?: number;
}

/** Expired entries dropped, at most, by one call: keeps every call O(1). */
const SWEEP_PER_CALL = 4;
/** Expired entries dropped, at most, before a full cache refuses an entry. */
const SWEEP_WHEN_FULL = 64;

/**
 * A {@link DpopReplayCache} in this process's memory: for a single instance, or for tests. Every
 * instance of an application has its own, so behind a load balancer a proof replayed to another
 * instance is not caught: use the PostgreSQL or Redis cache there.
 *
 * Entries sit in a `Map` for lookups and in a queue in insertion order for expiry; each call
 * drops at most a few expired entries from the front of the queue and looks its key up, so a call
 * is O(1) (amortised) whatever the size. An expired entry behind a live one in the queue counts
 * towards `maxEntries` until it reaches the front, but is never taken for a live one.
 *
 * Exported by `@kit/core`.
 *
 * @example
 * ```ts
 * import { createDpopProofVerifier, createMemoryDpopReplayCache } from '@kit/core';
 *
 * const dpop = createDpopProofVerifier({ replayCache: createMemoryDpopReplayCache() });
 * ```
 */
export function createMemoryDpopReplayCache(options: MemoryDpopReplayCacheOptions = {}): DpopReplayCache {
  const maxEntries = options?.maxEntries ?? 100_000;
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
    throw new KitInvalidOptionsError('Set `maxEntries` to a whole number above 0, or leave it out.');
  }
  /** key → expiry (ms). */
  const entries = new Map<string, number>();
  // The queue: keys and expiries in insertion order, from `head` on. A record whose expiry no
  // longer matches the map's (the key was remembered again after expiring) is skipped.
  let keys: string[] = [];
  let expiries: number[] = [];
  let head = 0;

  function sweep(now: number, limit: number): void {
    while (limit-- > 0 && head < keys.length && expiries[head]! <= now) {
      const key = keys[head]!;
      if (entries.get(key) === expiries[head]) entries.delete(key);
      head++;
    }
    // Compacted once the dropped front outweighs the rest: amortised O(1).
    if (head >= 1024 && head * 2 >= keys.length) {
      keys = keys.slice(head);
      expiries = expiries.slice(head);
      head = 0;
    }
  }

  return {
    scope: 'process',
    async remember(key, { expiresAt, now }) {
      validateDpopReplayEntry(key, { expiresAt, now });
      sweep(now, SWEEP_PER_CALL);
      const held = entries.get(key);
      if (held !== undefined && held > now) return false;
      if (held === undefined && entries.size >= maxEntries) sweep(now, SWEEP_WHEN_FULL);
      if (held === undefined && entries.size >= maxEntries) {
        throw new KitStoreUnavailableError({ cause: new Error('DPoP replay cache full') });
      }
      entries.set(key, expiresAt);
      keys.push(key);
      expiries.push(expiresAt);
      return true;
    },
  };
}
