/**
 * The demo server in a process of its own, for the reliability checks (soak, log capture, timing of
 * `/token`): the demo app (`createApp`) on a kit with the database key store, the PostgreSQL
 * rate-limit store and a pruner, served by @hono/node-server on 127.0.0.1 at a free port. Started
 * by {@link startServerProcess} (start-server-process.ts), which reads its stdout and stderr.
 *
 * Configured by one environment variable, `KIT_RELIABILITY_SERVER`: the JSON of
 * {@link ServerProcessConfig}. It prints `listening on http://127.0.0.1:PORT` once it answers,
 * sends `{ type: 'ready', port }` over IPC, and then answers IPC requests (see
 * {@link ServerRequest}). Every line it logs goes to its stdout or stderr, as in production: the
 * kit's `log` option output is prefixed `kit log: `.
 */
import { randomBytes } from 'node:crypto';
import { serve } from '@hono/node-server';
import { createAuthKit } from '@kit/core';
import {
  createKitOrm,
  createMikroOrmKeyStore,
  createMikroOrmRateLimitStore,
  createMikroOrmStore,
  migrate,
} from '@kit/core/mikro-orm';
import { createApp } from '../app.ts';
import { createUsers } from '../users.ts';
import type { ServerProcessConfig, ServerReply, ServerRequest } from './server-protocol.ts';

const raw = process.env.KIT_RELIABILITY_SERVER;
if (!raw) throw new Error('Set KIT_RELIABILITY_SERVER to the JSON of the server process configuration.');
const config = JSON.parse(raw) as ServerProcessConfig;

const orm = await createKitOrm({ databaseUrl: config.databaseUrl, timeoutMs: config.databaseTimeoutMs });
await migrate(orm);
const kit = await createAuthKit({
  issuer: 'http://127.0.0.1',
  audience: 'http://127.0.0.1',
  secret: config.secret,
  keyStore: createMikroOrmKeyStore({ orm }),
  keyRotation: { every: false, refreshInterval: config.keyRefreshSeconds },
  jwksMaxAge: config.jwksMaxAgeSeconds,
  store: createMikroOrmStore({ orm }),
  accessTokenTtl: config.accessTokenTtlSeconds,
  reuseGrace: config.reuseGraceSeconds,
});
// As the demo's main.ts does: a line per theft.
kit.on('reuse_detected', ({ session }) => console.log(`reuse detected: session ${session.id} revoked`));
const pruner = kit.startPruner({ interval: config.pruneIntervalSeconds, retain: '1d' });

// Test-only: retains this many bytes per request, so a check of the memory verdict can plant a leak.
const leaked: string[] = [];
const app = createApp(kit, await createUsers(), {
  rateLimitStore: createMikroOrmRateLimitStore({ orm }),
  // One client address sends everything here: the limits are set out of the way.
  loginLimit: 1_000_000,
  tokenLimit: 1_000_000,
  log: (line) => console.error(`kit log: ${line}`),
});
const fetch = (request: Request, env: unknown) => {
  if (config.leakBytesPerRequest > 0)
    leaked.push(randomBytes(config.leakBytesPerRequest / 2).toString('hex'));
  return app.fetch(request, env);
};

const server = serve({ fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
  console.log(`listening on http://127.0.0.1:${info.port}`);
  process.send?.({ type: 'ready', port: info.port } satisfies ServerReply);
});

async function answer(request: ServerRequest): Promise<unknown> {
  switch (request.type) {
    case 'memory': {
      // A full collection first when asked, so what remains is what the process holds on to.
      if (request.gc) {
        const gc = (globalThis as { gc?: () => void }).gc;
        if (!gc) throw new Error('the server process runs without --expose-gc');
        gc();
      }
      const usage = process.memoryUsage();
      return { rss: usage.rss, heapUsed: usage.heapUsed, external: usage.external };
    }
    case 'rotate-keys': {
      const rotated = await kit.keys.rotate();
      await kit.keys.refresh();
      return { kid: rotated.kid, activatesAt: rotated.activatesAt.toISOString() };
    }
    case 'sessions': {
      const tokens: { id: string; refreshToken: string; accessToken: string }[] = [];
      for (let i = 0; i < request.count; i++) {
        const t = await kit.createSession({ userId: request.userId });
        tokens.push({ id: t.session.id, refreshToken: t.refreshToken, accessToken: t.accessToken });
      }
      return tokens;
    }
    case 'stop':
      await shutdown();
      return null;
  }
}

process.on('message', (request: ServerRequest) => {
  answer(request).then(
    (value) =>
      process.send?.({ type: 'reply', id: request.id, value } satisfies ServerReply, undefined, {}, () => {
        if (request.type === 'stop') process.exit(0);
      }),
    (error: unknown) => {
      // The error's code or class only, as the kit logs: never a message that could carry input.
      const e = error as { code?: unknown; name?: unknown } | null;
      const reason = typeof e?.code === 'string' ? e.code : typeof e?.name === 'string' ? e.name : 'error';
      process.send?.({ type: 'reply', id: request.id, error: reason } satisfies ServerReply);
    },
  );
});

let stopping = false;
async function shutdown() {
  if (stopping) return;
  stopping = true;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await pruner.stop();
  await kit.close();
  await orm.close();
  console.log('stopped');
}
process.on('SIGTERM', () => void shutdown().then(() => process.exit(0)));
// The parent went away without stopping it (a test run interrupted): never linger as an orphan.
process.on('disconnect', () => void shutdown().then(() => process.exit(0)));
