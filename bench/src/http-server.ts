/**
 * The server side of the HTTP benchmarks, run as a child process so the load generator (in the
 * parent) and the server do not share an event loop. It serves, on 127.0.0.1, the kit's Hono
 * app: `createKitRoutes` (rate limit off: a benchmark is one client address), `GET /me` behind
 * `createBearerAuth`, and `GET /health`, an unauthenticated route. The bare servers these are held
 * against run in a process of their own (bare-server.ts).
 *
 * `BENCH_HTTP_ROTATION_BATCH_SIZE` sets the store's `rotationBatchSize` (unset: the store's own
 * choice). `BENCH_HTTP_PREPARED_STATEMENTS` sets `createKitOrm`'s `preparedStatements`: unset, its
 * default (`'auto'`: named prepared statements on a connection judged direct, as the bare token
 * endpoint's); `1` for `true`; `0` for `false` (the pooler-safe way: unnamed statements, each behind
 * its transaction-local `set_config('statement_timeout', ...)`).
 * `BENCH_HTTP_TELEMETRY=sdk` registers an OpenTelemetry SDK (otel-sdk.ts) before the kit is
 * created (or some of its parts: `metrics`, `traces`, `context`, `sampled`, comma-separated); unset,
 * none is registered, so the kit finds `@opentelemetry/api` installed with no SDK behind it.
 * `BENCH_HTTP_KIT_TELEMETRY=off` creates the kit with `telemetry: false` (with an SDK registered:
 * what the SDK costs the process by itself, the kit recording nothing); `sdk-calls` does too, and
 * its refreshes make by hand the SDK calls the kit's telemetry would (sdk-calls.ts: the floor).
 * `BENCH_HTTP_DPOP=1` makes the DPoP variant (a process of its own, so the Bearer server's
 * set-up, heap and figures stay as they were): the kit gets `dpop` and `GET /me`'s
 * `createBearerAuth` its own `dpop` options, each with a replay cache in this process's memory
 * (`createMemoryDpopReplayCache`, right for a single server; {@link DPOP_REPLAY_ENTRIES} entries,
 * so that no rate this machine reaches fills it), and `htu` is each request's own URL (clients
 * reach it directly, no `baseUrl`).
 *
 * Ready with `{ kitPort }`, it answers the parent (`@kit/test-support/child-process`):
 * `sessions` `{ count }` (open that many sessions, answer their refresh tokens), `access` (an
 * access token), `dpop-sessions` `{ proofs, url }` (DPoP variant: one session bound to each login
 * proof's key, made for `POST url`; answers `{ refreshToken, accessToken }` of each), `verification` (`{ jwk, issuer, audience }`: what verifies its access tokens, the
 * public key only), `stats` (CPU and event-loop counters of this process, and its pid), `telemetry`
 * (what the SDK's exporters were handed, after a flush; null without the SDK), the in-process
 * figures of in-process.ts (`in-process`, `in-process-window`, `in-process-result`), `stop`.
 */
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { serve } from '@hono/node-server';
import {
  createAuthKit,
  createMemoryDpopReplayCache,
  generateSecret,
  generateSigningKeys,
  type SessionStore,
} from '@kit/core';
import { createKitOrm, createMikroOrmStore } from '@kit/core/mikro-orm';
import { createBearerAuth, createKitRoutes, type KitAuthEnv } from '@kit/hono';
import { answerParent } from '@kit/test-support/child-process';
import * as otel from '@opentelemetry/api';
import { Hono } from 'hono';
import { answerInProcess } from './in-process.ts';
import { parseSdkParts, type RegisteredSdk, registerSdk } from './otel-sdk.ts';
import { withSdkCallsOnly } from './sdk-calls.ts';

const databaseUrl = process.env.BENCH_HTTP_DATABASE_URL;
const poolSize = Number(process.env.BENCH_HTTP_POOL_SIZE ?? 16);
// Unset: the store's own choice (grouping on, or off when kit_sessions is distributed).
const rotationBatchSize = process.env.BENCH_HTTP_ROTATION_BATCH_SIZE
  ? Number(process.env.BENCH_HTTP_ROTATION_BATCH_SIZE)
  : undefined;
// Unset: the kit's default, what a host on a direct connection runs. (It used to be `false`, which
// held the kit's pooler-safe way against the bare endpoint's named statement.)
const preparedStatementsEnv = process.env.BENCH_HTTP_PREPARED_STATEMENTS;
const preparedStatements =
  preparedStatementsEnv === '1' ? true : preparedStatementsEnv === '0' ? false : ('auto' as const);
if (!databaseUrl) throw new Error('http-server.ts is started by bench/src/http.ts.');
const telemetry = process.env.BENCH_HTTP_TELEMETRY ?? '';
// Before the kit: the kit takes its meter and tracer from the global providers when it is created.
const sdk: RegisteredSdk | undefined = telemetry ? registerSdk(parseSdkParts(telemetry)) : undefined;
const kitTelemetryEnv = process.env.BENCH_HTTP_KIT_TELEMETRY;
if (kitTelemetryEnv !== undefined && kitTelemetryEnv !== 'off' && kitTelemetryEnv !== 'sdk-calls')
  throw new Error('BENCH_HTTP_KIT_TELEMETRY is off or sdk-calls.');
// `sdk-calls`: the kit's telemetry off, its refreshes making the same SDK calls by hand.
const sdkCallsOnly = kitTelemetryEnv === 'sdk-calls';
if (sdkCallsOnly && !sdk) throw new Error('BENCH_HTTP_KIT_TELEMETRY=sdk-calls needs BENCH_HTTP_TELEMETRY.');
const kitTelemetry = kitTelemetryEnv === undefined ? {} : { telemetry: false as const };
const dpopOn = process.env.BENCH_HTTP_DPOP === '1';
/**
 * The DPoP variant's replay caches hold this many proofs each. A proof is held for its window (65
 * s): the cache's default (100,000) covers about 1,500 proofs a second, which `GET /me` can pass
 * here, and a full cache refuses (503). About 100 bytes an entry.
 */
const DPOP_REPLAY_ENTRIES = 1_000_000;
const dpopReplayCache = () => createMemoryDpopReplayCache({ maxEntries: DPOP_REPLAY_ENTRIES });

const orm = await createKitOrm({ databaseUrl, poolSize, preparedStatements });
const options = {
  issuer: 'https://auth.bench.test',
  audience: 'https://api.bench.test',
  secret: generateSecret(),
  signingKeys: await generateSigningKeys({ alg: 'ES256' }),
  accessTokenTtl: '1h',
  ...kitTelemetry,
  ...(dpopOn ? { dpop: { replayCache: dpopReplayCache() } } : {}),
} as const;
const makeKit = async (store: SessionStore) => {
  const made = await createAuthKit({ ...options, store });
  return sdkCallsOnly
    ? withSdkCallsOnly(made, otel.metrics.getMeterProvider(), otel.trace.getTracerProvider())
    : made;
};
const kit = await makeKit(
  createMikroOrmStore(rotationBatchSize === undefined ? { orm } : { orm, rotationBatchSize }),
);

const app = new Hono<KitAuthEnv>();
app.route('/', createKitRoutes(kit, { rateLimit: false }));
app.get('/health', (c) => c.text('ok'));
app.get(
  '/me',
  dpopOn ? createBearerAuth({ kit, dpop: { replayCache: dpopReplayCache() } }) : createBearerAuth({ kit }),
  (c) => c.json(c.var.claims),
);

const kitServer = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
await new Promise<void>((resolve) => kitServer.once('listening', () => resolve()));

answerParent({
  ready: { kitPort: (kitServer.address() as AddressInfo).port },
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
    async 'dpop-sessions'({ proofs, url }) {
      if (!dpopOn) throw new Error('dpop-sessions needs the DPoP variant (BENCH_HTTP_DPOP=1).');
      const sessions: { refreshToken: string; accessToken: string }[] = [];
      for (const [i, proof] of (proofs as string[]).entries()) {
        const { refreshToken, accessToken, tokenType } = await kit.createSession({
          userId: `bench-http-dpop-${process.pid}-${i}-${Date.now()}`,
          dpop: { proof, method: 'POST', url: String(url) },
        });
        if (tokenType !== 'DPoP') throw new Error('a session opened with a proof is not bound');
        sessions.push({ refreshToken, accessToken });
      }
      return sessions;
    },
    verification: () => ({
      jwk: kit.jwks().keys[0]!,
      issuer: kit.config.issuer,
      audience: kit.config.audience,
    }),
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
    await sdk?.shutdown();
    await orm.close();
  },
});
