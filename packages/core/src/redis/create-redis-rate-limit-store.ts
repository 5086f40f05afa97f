import { createHash } from 'node:crypto';
import { KitInvalidOptionsError, KitStoreUnavailableError } from '../errors.ts';
import type { RateLimitHit, RateLimitStore } from '../store/rate-limit-store.ts';
import { validateRateLimitHit } from '../store/validate-rate-limit-hit.ts';
import { toRedisStoreError } from './errors.ts';

// One script per hit: Redis runs a script atomically (no other command interleaves), so concurrent
// hits from any number of instances are serialised on the server and each sees the counter
// including its own hit. The same transitions as the PostgreSQL store's statement.
// One hash per key: s window start (ms), c count, p previous window's count.
// KEYS[1] the hash; ARGV[1] window start, ARGV[2] window length, ARGV[3] the caller's now (ms).
// Numbers written back go through '%.0f': Lua's default formatting of a number keeps 14 digits.
const HIT_SCRIPT = `local stored = redis.call('HMGET', KEYS[1], 's', 'c', 'p')
local start = tonumber(ARGV[1])
local w = tonumber(ARGV[2])
local s = tonumber(stored[1])
local c
local p
if s == nil or start > s then
  p = 0
  if s ~= nil and start == s + w then p = tonumber(stored[2]) or 0 end
  s = start
  c = 1
  redis.call('HSET', KEYS[1], 's', ARGV[1], 'c', 1, 'p', string.format('%.0f', p))
else
  c = redis.call('HINCRBY', KEYS[1], 'c', 1)
  p = tonumber(stored[3]) or 0
end
local ttl = s + 2 * w - tonumber(ARGV[3])
if redis.call('PTTL', KEYS[1]) < ttl then
  redis.call('PEXPIRE', KEYS[1], string.format('%.0f', ttl))
end
return {c, p, s}`;

const HIT_SHA = createHash('sha1').update(HIT_SCRIPT).digest('hex');

/**
 * What {@link createRedisRateLimitStore} needs of a Redis client: `evalSha` and `eval` with
 * node-redis's call shape (`{ keys, arguments }`). A client from `createClient()` of the `redis`
 * package (node-redis 6) fits, and so do its `createCluster()` and `createSentinel()` clients.
 *
 * @example
 * ```ts
 * import { createClient } from 'redis';
 *
 * const client: RedisScriptClient = await createClient({ url: process.env.REDIS_URL! }).connect();
 * ```
 */
export interface RedisScriptClient {
  /** `EVALSHA`: runs a script the server has cached, by its SHA-1. */
  evalSha(sha1: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  /** `EVAL`: runs (and caches) a script sent in full. */
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  /**
   * node-redis: a view of the same connection with per-command options. When present, the store
   * passes its `timeoutMs`, so a command still queued when it times out is dropped, not sent later.
   */
  withCommandOptions?(options: { timeout?: number }): unknown;
}

/**
 * Options of {@link createRedisRateLimitStore}.
 */
export interface RedisRateLimitStoreOptions {
  /**
   * A connected client the host created and owns (`await createClient({ url }).connect()`): the
   * store never connects, reconnects or closes it. Give it an `error` listener (`client.on('error',
   * ...)`): node-redis emits `error` on every lost connection, and an unheard `error` event ends
   * the process.
   */
  client: RedisScriptClient;
  /**
   * Prefix of every key the store writes (`<prefix><limit name>:<client address>`): lets several
   * applications share one Redis, and names the keys in `redis-cli --scan --pattern`.
   * @default 'kit:rate-limit:'
   */
  prefix?: string;
  /**
   * How long one hit may wait for Redis, in milliseconds, before it fails with
   * `ERR_STORE_UNAVAILABLE` (and the rate-limit middleware answers 503). A hit Redis receives
   * before the deadline may still be counted.
   * @default 1000
   */
  timeoutMs?: number;
}

/**
 * A {@link RateLimitStore} in Redis, shared by every instance that uses the same Redis. Each hit is
 * one Lua script (`EVALSHA`, falling back to `EVAL` once when the server has not cached it: after
 * a restart, a failover or `SCRIPT FLUSH`), so the read, the window roll-over and the increment are
 * atomic and cost one round trip. The counters of one key are one hash that expires on its own
 * after the window following its own (no purge needed; `maxmemory-policy` may also evict them).
 * Same counting as the PostgreSQL store: fixed windows keyed by the caller's clock, with the
 * previous window's count kept for the sliding estimate.
 *
 * The store does not own the connection: the host creates, connects and closes the client (and
 * listens to its `error` event). Redis being unreachable, timing out, loading or failing over
 * rejects with `ERR_STORE_UNAVAILABLE`; any other Redis error with `ERR_STORE_FAILURE`. Neither
 * error carries a key, an address or a reply's text.
 *
 * Needs the `redis` package, an optional peer dependency.
 *
 * @example
 * ```ts
 * import { createRedisRateLimitStore } from '@kit/core/redis';
 * import { createKitRoutes } from '@kit/hono';
 * import { createClient } from 'redis';
 *
 * const redis = createClient({ url: process.env.REDIS_URL! });
 * redis.on('error', (error) => console.warn(`redis: ${error.name}`)); // it reconnects by itself
 * await redis.connect();
 * const routes = createKitRoutes(kit, {
 *   rateLimit: { store: createRedisRateLimitStore({ client: redis }), limit: 120, window: '1m' },
 * });
 * // on shutdown, after the server has closed: await redis.close();
 * ```
 */
export function createRedisRateLimitStore(options: RedisRateLimitStoreOptions): RateLimitStore {
  const client = options?.client;
  if (!client || typeof client.evalSha !== 'function' || typeof client.eval !== 'function') {
    throw new KitInvalidOptionsError(
      'createRedisRateLimitStore needs { client }: a connected client from createClient() of the `redis` package.',
    );
  }
  const prefix = options.prefix ?? 'kit:rate-limit:';
  if (typeof prefix !== 'string' || prefix.length > 128) {
    throw new KitInvalidOptionsError(
      'Set the Redis rate-limit store `prefix` to a string of at most 128 characters.',
    );
  }
  const timeoutMs = options.timeoutMs ?? 1000;
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 10) {
    throw new KitInvalidOptionsError('Set `timeoutMs` to a whole number of milliseconds, at least 10.');
  }
  // node-redis drops a command still waiting in its queue (Redis down, reconnecting) when its own
  // timeout fires, so it is not sent, and counted, long after the caller was told it failed.
  const scoped = (
    typeof client.withCommandOptions === 'function'
      ? client.withCommandOptions({ timeout: timeoutMs })
      : client
  ) as RedisScriptClient;

  async function run(args: { keys: string[]; arguments: string[] }): Promise<unknown> {
    try {
      return await scoped.evalSha(HIT_SHA, args);
    } catch (error) {
      if (!(error instanceof Error && error.message.startsWith('NOSCRIPT'))) throw error;
      // The server lost its script cache: send the script itself, which caches it again.
      return await scoped.eval(HIT_SCRIPT, args);
    }
  }

  return {
    async hit(key, { windowMs, now }): Promise<RateLimitHit> {
      const windowStart = validateRateLimitHit(key, { windowMs, now });
      const args = {
        keys: [prefix + key],
        arguments: [String(windowStart), String(windowMs), String(Math.floor(now))],
      };
      // A backstop for clients without their own command timeout: the answer is awaited no longer
      // than `timeoutMs` (plus a margin, so node-redis's own timeout, which also dequeues, wins).
      let timer: ReturnType<typeof setTimeout> | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new KitStoreUnavailableError()), timeoutMs + 50);
      });
      let reply: unknown;
      try {
        reply = await Promise.race([run(args), deadline]);
      } catch (error) {
        if (error instanceof KitStoreUnavailableError) throw error;
        throw toRedisStoreError(error, 'a rate-limit hit');
      } finally {
        clearTimeout(timer);
      }
      const [count, previousCount, start] = Array.isArray(reply) ? reply.map(Number) : [];
      if (
        !Number.isSafeInteger(count) ||
        !Number.isSafeInteger(previousCount) ||
        !Number.isSafeInteger(start)
      ) {
        throw toRedisStoreError(new TypeError('unexpected reply'), 'a rate-limit hit');
      }
      return { count: count!, previousCount: previousCount!, windowStart: start! };
    },
  };
}
