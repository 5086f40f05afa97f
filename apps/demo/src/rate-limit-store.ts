import type { KitLogger, RateLimitStore } from '@kit/core';
import { createMikroOrmRateLimitStore } from '@kit/core/mikro-orm';
import { createRedisRateLimitStore, type RedisSetClient } from '@kit/core/redis';
import type { MikroORM } from '@mikro-orm/postgresql';

/** Where the demo keeps its rate-limit counters, and how to let go of it at shutdown. */
export interface DemoRateLimitStore {
  store: RateLimitStore;
  /**
   * The Redis client when `REDIS_URL` is set (the DPoP replay caches use it too), else `undefined`.
   * Owned by this store: {@link DemoRateLimitStore.close} closes it.
   */
  redis: RedisSetClient | undefined;
  /** One line for the log: which store, and where (never a password). */
  description: string;
  /** Closes what this module opened (the Redis client); the ORM is the caller's. */
  close(): Promise<void>;
}

/** How long the demo waits for Redis at startup before serving anyway (limited routes answer 503). */
const REDIS_START_WAIT_MS = 5000;

/**
 * The demo's rate-limit store: in PostgreSQL (the kit's `kit_rate_limits` table, shared by every
 * instance on the database) unless `redisUrl` is set, then in that Redis (shared by every instance
 * on it). The demo creates and owns the Redis client: it logs one line when the connection is lost
 * (a warning, with the error's code) and one when it is back, and node-redis reconnects by itself.
 * While Redis is away, `/login`,
 * `/token` and `/revoke` answer 503 `temporarily_unavailable` (a limit that cannot be checked is not
 * waived); nothing else is affected.
 */
export async function openRateLimitStore(options: {
  orm: MikroORM;
  redisUrl: string | undefined;
  /** Where the connection's lines go. */
  logger: KitLogger;
}): Promise<DemoRateLimitStore> {
  const { logger } = options;
  if (!options.redisUrl) {
    return {
      store: createMikroOrmRateLimitStore({ orm: options.orm }),
      description: 'rate limits in PostgreSQL (kit_rate_limits)',
      redis: undefined,
      close: async () => undefined,
    };
  }
  // Loaded only when REDIS_URL is set: node-redis holds 7 to 8 MiB of RSS in a process that never
  // talks to Redis (docs/benchmarks.md, Memory).
  const { createClient } = await import('redis');
  const url = new URL(options.redisUrl);
  const where = `${url.hostname}:${url.port || 6379}`;
  const client = createClient({ url: options.redisUrl });
  let down = false;
  // node-redis emits `error` on every failed (re)connection; unheard, it would end the process.
  client.on('error', (error: unknown) => {
    if (down) return;
    down = true;
    const code = (error as { code?: unknown } | null)?.code;
    const name = error instanceof Error ? error.constructor.name : typeof error;
    const reason = typeof code === 'string' ? code : name;
    logger.warn({ code: reason }, `redis: no connection to ${where} (${reason}); retrying`);
  });
  client.on('ready', () => {
    if (!down) return;
    down = false;
    logger.info({}, `redis: connected to ${where} again`);
  });
  // connect() resolves once Redis answers and retries until then: wait a little, then serve anyway,
  // so the demo starts (and recovers by itself) while Redis is still coming up.
  const connected = client.connect().then(
    () => true,
    () => false,
  );
  let timer: ReturnType<typeof setTimeout> | undefined;
  const ready = await Promise.race([
    connected,
    new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), REDIS_START_WAIT_MS);
    }),
  ]);
  clearTimeout(timer);
  if (!ready) {
    logger.warn(
      {},
      `redis: ${where} does not answer yet; /login, /token and /revoke answer 503 until it does`,
    );
  }
  return {
    store: createRedisRateLimitStore({ client, prefix: 'kit-demo:rate-limit:' }),
    description: `rate limits in Redis at ${where}`,
    redis: client,
    async close() {
      // After the server has drained: no request waits on Redis any more.
      if (client.isOpen) client.destroy();
      await connected;
    },
  };
}
