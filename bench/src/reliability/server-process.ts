/**
 * The demo server in a process of its own, for the reliability checks (soak, log capture, timing of
 * `/token`): the demo as `createDemoServer` builds it (the database key store, the PostgreSQL
 * rate-limit store, a pruner) on 127.0.0.1 at a free port, with its rate limits set out of the way.
 * Started by {@link startServerProcess} (start-server-process.ts), which reads its stdout and
 * stderr.
 *
 * Configured by one environment variable, `KIT_RELIABILITY_SERVER`: the JSON of
 * {@link ServerProcessConfig}. It prints `listening on http://127.0.0.1:PORT` once it answers, is
 * ready with `{ port }`, and then answers the parent (`@kit/test-support/child-process`):
 * `memory` `{ gc }`, `rotate-keys`, `sessions` `{ userId, count }`, `stop`. Every line it logs goes
 * where `pnpm demo` sends it: the demo's and the kit's JSON lines (pino) to its stdout, and whatever
 * a library prints by itself to stdout or stderr.
 *
 * Besides the demo's routes it serves two behind `createBearerAuth` over an edge verifier
 * (`@kit/core/verify`, logging through the demo's logger with `component: "edge"`), as an API next
 * to the auth server would: `GET /edge/me` with this server's JWKS and revocation list (polled every
 * second), and `GET /edge/broken` whose JWKS URL answers 404. Both URLs carry
 * `edgeUrlSecret` in their query, a value no log line may show.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createVerifier } from '@kit/core/verify';
import { createDemoServer, loadConfig } from '@kit/demo';
import { createBearerAuth } from '@kit/hono';
import { answerParent } from '@kit/test-support/child-process';
import type { MiddlewareHandler } from 'hono';
import type { ServerMemory, ServerProcessConfig } from './start-server-process.ts';

const raw = process.env.KIT_RELIABILITY_SERVER;
if (!raw) throw new Error('Set KIT_RELIABILITY_SERVER to the JSON of the server process configuration.');
const config = JSON.parse(raw) as ServerProcessConfig;

// The demo's own configuration path, as the environment would set it. Its data directory stays
// empty (DATABASE_URL and KIT_SECRET are given).
const dataDir = mkdtempSync(join(tmpdir(), 'kit-reliability-'));
const demoConfig = await loadConfig(
  {
    DATABASE_URL: config.databaseUrl,
    KIT_SECRET: config.secret,
    HOST: '127.0.0.1',
    PORT: '0',
    KIT_ACCESS_TTL: String(config.accessTokenTtlSeconds),
    KIT_REUSE_GRACE: String(config.reuseGraceSeconds),
    // One client address sends everything here: the limits are set out of the way.
    KIT_RATE_LIMIT_LOGIN: '1000000',
    KIT_RATE_LIMIT_TOKEN: '1000000',
  },
  dataDir,
);
rmSync(dataDir, { recursive: true });
const demo = await createDemoServer({
  ...demoConfig,
  databaseTimeoutMs: config.databaseTimeoutMs,
  // Rotations by hand only (rotate-keys below); a rotated key signs keyRefreshSeconds plus
  // jwksMaxAgeSeconds later.
  keyRotation: { every: false, refreshInterval: config.keyRefreshSeconds },
  jwksMaxAge: config.jwksMaxAgeSeconds,
  pruneInterval: config.pruneIntervalSeconds,
});
const { kit } = demo;

// The edge API's routes. Its verifiers are made on first use: the port is known once listening.
const edgeLog = demo.logger.child({ component: 'edge' });
const edgeAuth = (path: string, extra: { revocationsUrl?: string }) => {
  let auth: MiddlewareHandler | undefined;
  const query = `?key=${config.edgeUrlSecret}`;
  return ((c, next) => {
    auth ??= createBearerAuth({
      verify: createVerifier({
        issuer: kit.config.issuer,
        audience: kit.config.audience,
        jwksUrl: `${url}${path}${query}`,
        ...(extra.revocationsUrl ? { revocationsUrl: `${url}${extra.revocationsUrl}${query}` } : {}),
        revocationsInterval: 1,
        // A rotated key is published jwksMaxAge + the key ring's refresh interval before it signs
        // (2 s in the log capture): the verifier may refetch for an unknown kid every second.
        cooldown: 1,
        logger: edgeLog,
      }),
      logger: edgeLog,
    });
    return auth(c, next);
  }) satisfies MiddlewareHandler;
};
demo.app.get('/edge/me', edgeAuth('/.well-known/jwks.json', { revocationsUrl: '/revocations' }), (c) =>
  c.json({ ok: true }),
);
demo.app.get('/edge/broken', edgeAuth('/no-such-jwks.json', {}), (c) => c.json({ ok: true }));

// Test-only: retains this many bytes per request, so a check of the memory verdict can plant a leak.
const leaked: string[] = [];
if (config.leakBytesPerRequest > 0) {
  demo.server.on('request', () => leaked.push(randomBytes(config.leakBytesPerRequest / 2).toString('hex')));
}
const url = await demo.listen();

answerParent({
  ready: { port: Number(new URL(url).port) },
  handlers: {
    memory({ gc }) {
      // A full collection first when asked, so what remains is what the process holds on to.
      if (gc) {
        const collect = (globalThis as { gc?: () => void }).gc;
        if (!collect) throw new Error('the server process runs without --expose-gc');
        collect();
      }
      const usage = process.memoryUsage();
      return { rss: usage.rss, heapUsed: usage.heapUsed, external: usage.external } satisfies ServerMemory;
    },
    async 'rotate-keys'() {
      const rotated = await kit.keys.rotate();
      await kit.keys.refresh();
      return { kid: rotated.kid, activatesAt: rotated.activatesAt.toISOString() };
    },
    async sessions({ userId, count }) {
      const tokens: { id: string; refreshToken: string; accessToken: string }[] = [];
      for (let i = 0; i < Number(count); i++) {
        const t = await kit.createSession({ userId: String(userId) });
        tokens.push({ id: t.session.id, refreshToken: t.refreshToken, accessToken: t.accessToken });
      }
      return tokens;
    },
  },
  async stop() {
    await demo.close();
    console.log('stopped');
  },
});
