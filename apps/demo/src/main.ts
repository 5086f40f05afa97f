import type { Server } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { createAuthKit } from '@kit/core';
import { createKitOrm, createMikroOrmKeyStore, createMikroOrmStore, migrate } from '@kit/core/mikro-orm';
import {
  describeEmbeddedPostgres,
  type EmbeddedDatabase,
  exitOnEmbeddedPostgresError,
  startEmbeddedPostgres,
} from '@kit/embedded-postgres';
import { createApp } from './app.ts';
import { loadConfig } from './config.ts';
import { createGracefulShutdown } from './graceful-shutdown.ts';
import { openRateLimitStore } from './rate-limit-store.ts';
import { createUsers } from './users.ts';

const dataDir = fileURLToPath(new URL('../.data', import.meta.url));
const config = await loadConfig(process.env, dataDir).catch((error: unknown) => {
  // A configuration mistake is one sentence saying what to do, not a stack trace.
  console.error(`demo: ${error instanceof Error ? error.message : String(error)}`);
  return process.exit(1);
});

let embedded: EmbeddedDatabase | undefined;
let databaseUrl = config.databaseUrl;
if (!databaseUrl) {
  const postgresDir = join(dataDir, 'postgres');
  embedded = await startEmbeddedPostgres({ dataDir: postgresDir, persistent: true }).catch(
    exitOnEmbeddedPostgresError,
  );
  databaseUrl = embedded.url;
  console.log(describeEmbeddedPostgres(embedded, postgresDir, 'apps/demo/.data/postgres'));
}

const orm = await createKitOrm({ databaseUrl });
await migrate(orm);
const kit = await createAuthKit({
  issuer: config.issuer,
  audience: config.audience,
  secret: config.secret,
  // KIT_SIGNING_KEYS when given; otherwise keys are generated into, encrypted in and rotated by the
  // database key store, shared by every instance on this database.
  ...(config.signingKeys
    ? { signingKeys: config.signingKeys }
    : { keyStore: createMikroOrmKeyStore({ orm }) }),
  store: createMikroOrmStore({ orm }),
  accessTokenTtl: config.accessTokenTtl,
  sessionIdleTtl: config.sessionIdleTtl,
  sessionMaxAge: config.sessionMaxAge,
  reuseGrace: config.reuseGrace,
});
kit.on('reuse_detected', ({ session }) => console.log(`reuse detected: session ${session.id} revoked`));
const pruner = kit.startPruner({ interval: '1h', retain: '1d' });

// Rate-limit counters in PostgreSQL, or in Redis when REDIS_URL is set: every instance on the same
// database (or Redis) shares them.
const rateLimits = await openRateLimitStore({ orm, redisUrl: config.redisUrl });
console.log(rateLimits.description);
// Aborted when shutdown begins: /readyz answers 503 from then on.
const shutdownController = new AbortController();
const app = createApp(kit, await createUsers(), {
  rateLimitStore: rateLimits.store,
  loginLimit: config.loginRateLimit,
  tokenLimit: config.tokenRateLimit,
  shutdownSignal: shutdownController.signal,
  ...(config.publicUrl ? { publicUrl: config.publicUrl } : {}),
});
const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) => {
  const host = info.family === 'IPv6' ? `[${info.address}]` : info.address;
  console.log(`listening on http://${host}:${info.port}`);
});
// A port in use (or not permitted) is one sentence, not a stack trace; exiting stops the embedded
// database too.
server.once('error', (error: NodeJS.ErrnoException) => {
  const reason = error.code === 'EADDRINUSE' ? 'is already in use' : `cannot be used (${error.code})`;
  console.error(`demo: ${config.host}:${config.port} ${reason}: set PORT to another port.`);
  process.exit(1);
});

// SIGTERM (an orchestrator) or SIGINT (Ctrl-C): refuse new connections, let requests in flight
// finish (10 s at most), then stop the pruner and close the pools (the PostgreSQL rate-limit store
// shares the ORM's) and the embedded database; exit 0, or 1 past the bound. A second signal changes
// nothing (Ctrl-C under `pnpm demo` reaches the server twice: from the terminal and from pnpm).
const shutdown = createGracefulShutdown({
  server: server as Server,
  controller: shutdownController,
  drainMs: 10_000,
  cleanup: [
    () => pruner.stop(),
    () => kit.close(),
    () => rateLimits.close(),
    () => orm.close(),
    () => embedded?.stop(),
  ],
});
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => void shutdown(signal));
}
