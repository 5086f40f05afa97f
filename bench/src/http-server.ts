/**
 * The server side of the HTTP benchmarks, run as a child process so the load generator (in the
 * parent) and the server do not share an event loop. It serves, on 127.0.0.1:
 *
 * - the kit's Hono app: `createKitRoutes` (rate limit off: a benchmark is one client address),
 *   `GET /me` behind `createBearerAuth`, and `GET /health`, an unauthenticated route;
 * - a bare `node:http` server whose `GET /me` verifies the same ES256 token with `node:crypto`
 *   (header, signature, `exp`, `iss`, `aud`) and answers the claims: the physical limit of a
 *   verifying endpoint on this machine.
 *
 * `BENCH_HTTP_ROTATION_BATCH_SIZE` sets the store's `rotationBatchSize` (unset: the store's own
 * choice); `BENCH_HTTP_PREPARED_STATEMENTS=1` makes the ORM with `preparedStatements: true`.
 * `BENCH_HTTP_TELEMETRY=sdk` registers an OpenTelemetry SDK (otel-sdk.ts) before the kit is
 * created (or some of its parts: `metrics`, `traces`, `context`, comma-separated); unset, none is
 * registered, so the kit finds `@opentelemetry/api` installed with no SDK behind it.
 *
 * Ready with `{ kitPort, barePort }`, it answers the parent (`@kit/test-support/child-process`):
 * `sessions` `{ count }` (open that many sessions, answer their refresh tokens), `access` (an
 * access token), `stats` (CPU and event-loop counters of this process, and its pid), `telemetry`
 * (what the SDK's exporters were handed, after a flush; null without the SDK), the in-process
 * figures of in-process.ts (`in-process`, `in-process-window`, `in-process-result`), `stop`.
 */
import { createPublicKey, verify as verifySignature } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { serve } from '@hono/node-server';
import { createAuthKit, generateSecret, generateSigningKeys, type SessionStore } from '@kit/core';
import { createKitOrm, createMikroOrmStore } from '@kit/core/mikro-orm';
import { createBearerAuth, createKitRoutes, type KitAuthEnv } from '@kit/hono';
import { answerParent } from '@kit/test-support/child-process';
import { Hono } from 'hono';
import { answerInProcess } from './in-process.ts';
import { parseSdkParts, type RegisteredSdk, registerSdk } from './otel-sdk.ts';

const databaseUrl = process.env.BENCH_HTTP_DATABASE_URL;
const poolSize = Number(process.env.BENCH_HTTP_POOL_SIZE ?? 16);
// Unset: the store's own choice (grouping on, or off when kit_sessions is distributed).
const rotationBatchSize = process.env.BENCH_HTTP_ROTATION_BATCH_SIZE
  ? Number(process.env.BENCH_HTTP_ROTATION_BATCH_SIZE)
  : undefined;
// `createKitOrm({ preparedStatements: true })`, the direct-connection mode.
const preparedStatements = process.env.BENCH_HTTP_PREPARED_STATEMENTS === '1';
if (!databaseUrl) throw new Error('http-server.ts is started by bench/src/http.ts.');
const telemetry = process.env.BENCH_HTTP_TELEMETRY ?? '';
// Before the kit: the kit takes its meter and tracer from the global providers when it is created.
const sdk: RegisteredSdk | undefined = telemetry ? registerSdk(parseSdkParts(telemetry)) : undefined;

const orm = await createKitOrm({ databaseUrl, poolSize, preparedStatements });
const options = {
  issuer: 'https://auth.bench.test',
  audience: 'https://api.bench.test',
  secret: generateSecret(),
  signingKeys: await generateSigningKeys({ alg: 'ES256' }),
  accessTokenTtl: '1h',
} as const;
const makeKit = (store: SessionStore) => createAuthKit({ ...options, store });
const kit = await makeKit(
  createMikroOrmStore(rotationBatchSize === undefined ? { orm } : { orm, rotationBatchSize }),
);

const app = new Hono<KitAuthEnv>();
app.route('/', createKitRoutes(kit, { rateLimit: false }));
app.get('/health', (c) => c.text('ok'));
app.get('/me', createBearerAuth({ kit }), (c) => c.json(c.var.claims));

// The bare server: only what verifying this token strictly takes, with node:crypto.
const jwk = kit.jwks().keys[0]!;
const publicKey = createPublicKey({ key: jwk as unknown as import('node:crypto').JsonWebKey, format: 'jwk' });
const bare = createServer((req, res) => {
  const header = req.headers.authorization;
  const token = header?.startsWith('Bearer ') ? header.slice(7) : '';
  const [h = '', p = '', s = ''] = token.split('.');
  try {
    const head = JSON.parse(Buffer.from(h, 'base64url').toString()) as Record<string, unknown>;
    if (head.alg !== 'ES256' || head.typ !== 'at+jwt' || head.kid !== jwk.kid) throw new Error('header');
    const ok = verifySignature(
      'sha256',
      Buffer.from(`${h}.${p}`),
      { key: publicKey, dsaEncoding: 'ieee-p1363' },
      Buffer.from(s, 'base64url'),
    );
    if (!ok) throw new Error('signature');
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    if (claims.iss !== kit.config.issuer || claims.aud !== kit.config.audience) throw new Error('claims');
    if (typeof claims.exp !== 'number' || claims.exp * 1000 <= Date.now()) throw new Error('exp');
    const body = JSON.stringify(claims);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  } catch {
    res.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token"', 'content-length': 0 });
    res.end();
  }
});

const kitServer = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
await new Promise<void>((resolve) => kitServer.once('listening', () => resolve()));
await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', () => resolve()));

answerParent({
  ready: {
    kitPort: (kitServer.address() as AddressInfo).port,
    barePort: (bare.address() as AddressInfo).port,
  },
  handlers: {
    async sessions({ count }) {
      const tokens: string[] = [];
      for (let i = 0; i < Number(count ?? 1); i++) {
        tokens.push(
          (await kit.createSession({ userId: `bench-http-${process.pid}-${i}-${Date.now()}` })).refreshToken,
        );
      }
      return tokens;
    },
    access: async () => (await kit.createSession({ userId: 'bench-http-me' })).accessToken,
    stats: () => ({ cpu: process.cpuUsage(), elu: performance.eventLoopUtilization(), pid: process.pid }),
    async telemetry() {
      if (!sdk) return null;
      await sdk.flush();
      return sdk.counts();
    },
    ...answerInProcess(kit, makeKit),
  },
  async stop() {
    kitServer.close();
    bare.close();
    await sdk?.shutdown();
    await orm.close();
  },
});
