/**
 * The server side of the rate-limit store figures (rate-limit-stores.ts), run as a child process
 * like http-server.ts. One kit on the bench database serves `POST /token` through four Hono apps
 * under @hono/node-server on 127.0.0.1, identical but for the `/token` rate limit:
 *
 * - `none`: `rateLimit: false`;
 * - `memory`: `createMemoryRateLimitStore()` (this process only);
 * - `postgresql`: `createMikroOrmRateLimitStore` on the bench database (its own pool, so the limit's
 *   statement never waits behind the refreshes' connections);
 * - `redis`: `createRedisRateLimitStore` on `BENCH_RATE_LIMIT_REDIS_URL` (absent when unset).
 *
 * The limit is set far above the load (it never answers 429: what is measured is the cost of
 * counting), and each connection is its own client address (derived from its source port), as 16
 * clients would be: 16 counters, not one contended key.
 *
 * Ready with `{ ports }` (by variant), it answers the parent as http-server.ts does
 * (`@kit/test-support/child-process`): `sessions` `{ count }`, `stats`, `stop`.
 */
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { serve } from '@hono/node-server';
import { createAuthKit, generateSecret, generateSigningKeys, type RateLimitStore } from '@kit/core';
import { createKitOrm, createMikroOrmRateLimitStore, createMikroOrmStore } from '@kit/core/mikro-orm';
import { createRedisRateLimitStore } from '@kit/core/redis';
import { createKitRoutes, createMemoryRateLimitStore } from '@kit/hono';
import { answerParent } from '@kit/test-support/child-process';
import type { Context } from 'hono';
import { createClient } from 'redis';

const databaseUrl = process.env.BENCH_HTTP_DATABASE_URL;
const poolSize = Number(process.env.BENCH_HTTP_POOL_SIZE ?? 16);
const redisUrl = process.env.BENCH_RATE_LIMIT_REDIS_URL || undefined;
if (!databaseUrl) throw new Error('rate-limit-server.ts is started by rate-limit-stores.ts.');

const orm = await createKitOrm({ databaseUrl, poolSize });
const limitOrm = await createKitOrm({ databaseUrl, poolSize });
const redis = redisUrl ? createClient({ url: redisUrl }) : undefined;
redis?.on('error', (error: Error) => console.error(`rate-limit server: redis ${error.constructor.name}`));
await redis?.connect();

const kit = await createAuthKit({
  issuer: 'https://auth.bench.test',
  audience: 'https://api.bench.test',
  secret: generateSecret(),
  signingKeys: await generateSigningKeys({ alg: 'ES256' }),
  store: createMikroOrmStore({ orm }),
  accessTokenTtl: '1h',
});

// One client address per connection, stable for the connection's life (198.18.0.0/15 is the
// benchmarking range): the load generator's 16 connections are 16 clients.
const perConnection = (c: Context<{ Bindings: { incoming?: { socket?: { remotePort?: number } } } }>) => {
  const port = c.env?.incoming?.socket?.remotePort;
  return port === undefined ? undefined : `198.18.${port >> 8}.${port & 255}`;
};

const stores: Record<string, RateLimitStore | undefined> = {
  none: undefined,
  memory: createMemoryRateLimitStore(),
  postgresql: createMikroOrmRateLimitStore({ orm: limitOrm }),
  ...(redis
    ? { redis: createRedisRateLimitStore({ client: redis, prefix: `kit-bench:${process.pid}:` }) }
    : {}),
};

const servers: ReturnType<typeof serve>[] = [];
const ports: Record<string, number> = {};
for (const [name, store] of Object.entries(stores)) {
  const app = createKitRoutes(kit, {
    rateLimit: store
      ? { store, limit: 1_000_000_000, window: '1m', clientAddress: perConnection as (c: Context) => string }
      : false,
    revokeRateLimit: false,
  });
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  servers.push(server);
  ports[name] = (server.address() as AddressInfo).port;
}

answerParent({
  ready: { ports },
  handlers: {
    async sessions({ count }) {
      const tokens: string[] = [];
      for (let i = 0; i < Number(count ?? 1); i++) {
        tokens.push(
          (await kit.createSession({ userId: `bench-rate-limit-${process.pid}-${i}-${Date.now()}` }))
            .refreshToken,
        );
      }
      return tokens;
    },
    stats: () => ({ cpu: process.cpuUsage(), elu: performance.eventLoopUtilization() }),
  },
  async stop() {
    for (const server of servers) server.close();
    redis?.destroy();
    await limitOrm.close();
    await orm.close();
  },
});
