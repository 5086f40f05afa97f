/**
 * `@kit/core/redis`: the rate-limit store and the DPoP replay cache on Redis (Node only), for a
 * fleet that shares its limits and its seen DPoP proofs through Redis rather than PostgreSQL. Takes a client the host created with the `redis` package
 * (node-redis 6, an optional peer dependency of `@kit/core`).
 *
 * @example
 * ```ts
 * import { createRedisRateLimitStore } from '@kit/core/redis';
 * import { createClient } from 'redis';
 *
 * const redis = createClient({ url: process.env.REDIS_URL! });
 * redis.on('error', (error) => console.warn(`redis: ${error.name}`)); // node-redis reconnects by itself
 * await redis.connect();
 * const store = createRedisRateLimitStore({ client: redis });
 * ```
 *
 * @packageDocumentation
 */
export {
  createRedisDpopReplayCache,
  type RedisDpopReplayCacheOptions,
  type RedisSetClient,
} from '../dpop/create-redis-dpop-replay-cache.ts';
export {
  createRedisRateLimitStore,
  type RedisRateLimitStoreOptions,
  type RedisScriptClient,
} from './create-redis-rate-limit-store.ts';
