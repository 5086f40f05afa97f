import { KitInvalidOptionsError, KitStoreUnavailableError } from '../errors.ts';
import { toRedisStoreError } from '../redis/errors.ts';
import { type DpopReplayCache, validateDpopReplayEntry } from './replay-cache.ts';

/**
 * Extra lifetime of every key: instances whose clocks are less than this apart never see a live
 * entry expire early (each computes the time to live from its own clock).
 */
const EXPIRY_MARGIN_MS = 60_000;

/**
 * What {@link createRedisDpopReplayCache} needs of a Redis client: `SET` with node-redis's call
 * shape. A client from `createClient()` of the `redis` package (node-redis 6) fits, and so do its
 * `createCluster()` and `createSentinel()` clients.
 *
 * @example
 * ```ts
 * import { createClient } from 'redis';
 *
 * const client: RedisSetClient = await createClient({ url: process.env.REDIS_URL! }).connect();
 * ```
 */
export interface RedisSetClient {
  /** `SET key value NX PX ttl`: resolves `'OK'` when set, `null` when the key existed. */
  set(
    key: string,
    value: string,
    options: { condition: 'NX'; expiration: { type: 'PX'; value: number } },
  ): Promise<unknown>;
  /**
   * node-redis: a view of the same connection with per-command options. When present, the cache
   * passes its `timeoutMs`, so a command still queued when it times out is dropped, not sent later.
   */
  withCommandOptions?(options: { timeout?: number }): unknown;
}

/**
 * Options of {@link createRedisDpopReplayCache}.
 */
export interface RedisDpopReplayCacheOptions {
  /**
   * A connected client the host created and owns (`await createClient({ url }).connect()`): the
   * cache never connects, reconnects or closes it. Give it an `error` listener: node-redis emits
   * `error` on every lost connection, and an unheard `error` event ends the process.
   */
  client: RedisSetClient;
  /**
   * Prefix of every key the cache writes: lets several applications share one Redis.
   * @default 'kit:dpop:'
   */
  prefix?: string;
  /**
   * How long one check may wait for Redis, in milliseconds, before it fails with
   * `ERR_STORE_UNAVAILABLE` (and the proof is refused).
   * @default 1000
   */
  timeoutMs?: number;
}

/**
 * A {@link DpopReplayCache} in Redis, shared by every instance that uses the same Redis. Each
 * check is one `SET key 1 NX PX ttl`: atomic on the server, one round trip; the key expires on its
 * own a minute after the entry (no purge needed). Redis being unreachable, timing out, loading or
 * failing over rejects with `ERR_STORE_UNAVAILABLE`, any other Redis error with
 * `ERR_STORE_FAILURE`; the proof is then refused. With `maxmemory-policy` set to evict keys, Redis
 * may forget live entries under memory pressure, which lets those proofs be replayed: give the
 * cache a Redis (or a database number) under `noeviction` or `volatile-*` with room to spare.
 *
 * Needs the `redis` package, an optional peer dependency. Exported by `@kit/core/redis`.
 *
 * @example
 * ```ts
 * import { createDpopProofVerifier } from '@kit/core';
 * import { createRedisDpopReplayCache } from '@kit/core/redis';
 * import { createClient } from 'redis';
 *
 * const redis = createClient({ url: process.env.REDIS_URL! });
 * redis.on('error', (error) => console.warn(`redis: ${error.name}`)); // it reconnects by itself
 * await redis.connect();
 * const dpop = createDpopProofVerifier({ replayCache: createRedisDpopReplayCache({ client: redis }) });
 * ```
 */
export function createRedisDpopReplayCache(options: RedisDpopReplayCacheOptions): DpopReplayCache {
  const client = options?.client;
  if (!client || typeof client.set !== 'function') {
    throw new KitInvalidOptionsError(
      'createRedisDpopReplayCache needs { client }: a connected client from createClient() of the `redis` package.',
    );
  }
  const prefix = options.prefix ?? 'kit:dpop:';
  if (typeof prefix !== 'string' || prefix.length > 128) {
    throw new KitInvalidOptionsError(
      'Set the Redis DPoP replay cache `prefix` to a string of at most 128 characters.',
    );
  }
  const timeoutMs = options.timeoutMs ?? 1000;
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 10) {
    throw new KitInvalidOptionsError('Set `timeoutMs` to a whole number of milliseconds, at least 10.');
  }
  const scoped = (
    typeof client.withCommandOptions === 'function'
      ? client.withCommandOptions({ timeout: timeoutMs })
      : client
  ) as RedisSetClient;

  return {
    scope: 'shared',
    async remember(key, { expiresAt, now }) {
      validateDpopReplayEntry(key, { expiresAt, now });
      // A backstop for clients without their own command timeout (plus a margin, so node-redis's
      // own timeout, which also dequeues the command, wins).
      let timer: ReturnType<typeof setTimeout> | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new KitStoreUnavailableError()), timeoutMs + 50);
      });
      let reply: unknown;
      try {
        const set = scoped.set(prefix + key, '1', {
          condition: 'NX',
          expiration: { type: 'PX', value: expiresAt - now + EXPIRY_MARGIN_MS },
        });
        reply = await Promise.race([set, deadline]);
      } catch (error) {
        if (error instanceof KitStoreUnavailableError) throw error;
        throw toRedisStoreError(error, 'a DPoP replay check');
      } finally {
        clearTimeout(timer);
      }
      if (reply === 'OK') return true;
      if (reply === null) return false;
      throw toRedisStoreError(new TypeError('unexpected reply'), 'a DPoP replay check');
    },
  };
}
