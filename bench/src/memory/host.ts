/**
 * The memory bench's minimal host: what a Hono app using the kit holds at least. On PostgreSQL
 * through `@kit/core/mikro-orm` (the ORM's default pool), a kit with signing keys of its own, and
 * a Hono app under `@hono/node-server` with `createKitRoutes` (rate limits off: the bench is one
 * client address) and `GET /me` behind `createBearerAuth`. No logger, no metrics, no page: the
 * demo's extras are what it is compared against. Built to JavaScript and run by Node alone
 * (memory.ts), as the demo is.
 *
 * Environment: `BENCH_MEMORY_DATABASE_URL` (migrated by the bench). Ready with `{ port }`, it
 * answers the parent (`@kit/test-support/child-process`): `sessions` `{ count }` (refresh tokens),
 * `access` (an access token), `verification` (`{ jwk, issuer, audience }`, the public key only),
 * `stop`.
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createAuthKit, generateSecret, generateSigningKeys } from '@kit/core';
import { createKitOrm, createMikroOrmStore } from '@kit/core/mikro-orm';
import { createBearerAuth, createKitRoutes, type KitAuthEnv } from '@kit/hono';
import { answerParent } from '@kit/test-support/child-process';
import { Hono } from 'hono';

const databaseUrl = process.env.BENCH_MEMORY_DATABASE_URL;
if (!databaseUrl) throw new Error('memory/host.ts is started by bench/src/memory/measure.ts.');

const orm = await createKitOrm({ databaseUrl });
const kit = await createAuthKit({
  issuer: 'https://auth.bench.test',
  audience: 'https://api.bench.test',
  secret: generateSecret(),
  signingKeys: await generateSigningKeys({ alg: 'ES256' }),
  store: createMikroOrmStore({ orm }),
  accessTokenTtl: '1h',
});
const app = new Hono<KitAuthEnv>();
app.route('/', createKitRoutes(kit, { rateLimit: false }));
app.get('/me', createBearerAuth({ kit }), (c) => c.json(c.var.claims));
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
await new Promise<void>((resolve) => server.once('listening', () => resolve()));

answerParent({
  ready: { port: (server.address() as AddressInfo).port },
  handlers: {
    async sessions({ count }) {
      const tokens: string[] = [];
      for (let i = 0; i < Number(count ?? 1); i++) {
        tokens.push((await kit.createSession({ userId: `bench-memory-${i}` })).refreshToken);
      }
      return tokens;
    },
    access: async () => (await kit.createSession({ userId: 'bench-memory-me' })).accessToken,
    verification: () => ({
      jwk: kit.jwks().keys[0]!,
      issuer: kit.config.issuer,
      audience: kit.config.audience,
    }),
  },
  async stop() {
    server.close();
    await kit.close();
    await orm.close();
  },
});
