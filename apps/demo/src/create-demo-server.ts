import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createAdaptorServer } from '@hono/node-server';
import { type AuthKit, type AuthKitOptions, createAuthKit, type Duration, type Pruner } from '@kit/core';
import { createKitOrm, createMikroOrmKeyStore, createMikroOrmStore, migrate } from '@kit/core/mikro-orm';
import {
  describeEmbeddedPostgres,
  type EmbeddedDatabase,
  startEmbeddedPostgres,
} from '@kit/embedded-postgres';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Hono } from 'hono';
import { createApp } from './app.ts';
import type { DemoConfig } from './config.ts';
import { chooseDpopReplayCaches } from './dpop-replay-caches.ts';
import { createDemoLogger, type DemoLogger } from './logger.ts';
import { createDemoMetrics, type DemoMetrics } from './metrics.ts';
import { type DemoRateLimitStore, openRateLimitStore } from './rate-limit-store.ts';
import { createUsers } from './users.ts';

/**
 * What {@link createDemoServer} takes: the demo's configuration as {@link loadConfig} reads it from
 * the environment, and a few settings `pnpm demo` leaves at their defaults that tests and the
 * reliability harness tune.
 */
export interface DemoServerConfig extends DemoConfig {
  /**
   * Where the one plain line goes, `listening on http://HOST:PORT` (scripts and tests wait for it).
   * @default console.log
   */
  print?: (line: string) => void;
  /**
   * Where every other line goes, as JSON: the demo's own (where its database is, where rate limits
   * count, each reuse detected, failures with their code) and, through a child with
   * `component: "kit"`, the kit's and its routes'. Never a token or a secret.
   * @default createDemoLogger(): pino to standard output
   */
  logger?: DemoLogger;
  /** `createKitOrm`'s `timeoutMs`. @default createKitOrm's */
  databaseTimeoutMs?: number;
  /** The kit's `keyRotation` (the database key store's schedule and reload interval). @default the kit's */
  keyRotation?: AuthKitOptions['keyRotation'];
  /** The kit's `jwksMaxAge`. @default the kit's */
  jwksMaxAge?: Duration;
  /** Time between two runs of the session pruner. @default '1h' */
  pruneInterval?: Duration;
}

/** The demo server, assembled and not yet listening. */
export interface DemoServer {
  /** The HTTP app (`app.request()` answers without a listener). */
  readonly app: Hono;
  readonly kit: AuthKit;
  /** The demo's logger (the one given, or its own on standard output). */
  readonly logger: DemoLogger;
  /** The kit's instruments, as `GET /metrics` serves them. */
  readonly metrics: DemoMetrics;
  /** The `node:http` server of the app; {@link DemoServer.listen} starts it. */
  readonly server: Server;
  /**
   * Aborted when shutdown begins: `/readyz` answers 503 from then on. Pass it to
   * `createGracefulShutdown`.
   */
  readonly shutdownController: AbortController;
  /**
   * What releases everything it opened, in order: the pruner, the kit, the meter provider, the
   * rate-limit store, the ORM's pool and the embedded PostgreSQL. Run once no request is in flight.
   */
  readonly cleanup: ReadonlyArray<() => Promise<unknown> | unknown>;
  /**
   * Listens on the configured host and port; resolves with `http://HOST:PORT` once it answers
   * requests (and prints `listening on http://HOST:PORT`), rejects with the listener's error (a port
   * in use: `EADDRINUSE`).
   */
  listen(): Promise<string>;
  /**
   * Stops listening, closes idle connections, then runs {@link DemoServer.cleanup} (for tests and
   * harnesses; `pnpm demo` drains requests in flight first, with `createGracefulShutdown`).
   */
  close(): Promise<void>;
}

/**
 * The demo as `pnpm demo` runs it, from its configuration: an embedded PostgreSQL when
 * `databaseUrl` is unset, the kit's tables migrated, a kit signing with `KIT_SIGNING_KEYS` or with
 * keys generated into the database key store, logging through pino and counting into a meter
 * provider of its own (served at `GET /metrics`), a session pruner, rate limits in PostgreSQL or
 * Redis, the app ({@link createApp}) and its `node:http` server. If a step fails, what the earlier ones
 * opened is released before the error is thrown.
 *
 * @example
 * ```ts
 * const demo = await createDemoServer(await loadConfig(process.env, dataDir));
 * await demo.listen();
 * ```
 */
export async function createDemoServer(config: DemoServerConfig): Promise<DemoServer> {
  const print = config.print ?? ((line: string) => console.log(line));
  const logger = config.logger ?? createDemoLogger();
  const demoLog = logger.child({ component: 'demo' });
  const kitLog = logger.child({ component: 'kit' });
  const metrics = createDemoMetrics();
  let embedded: EmbeddedDatabase | undefined;
  let orm: MikroORM | undefined;
  let kit: AuthKit | undefined;
  let pruner: Pruner | undefined;
  let rateLimits: DemoRateLimitStore | undefined;
  const cleanup = [
    () => pruner?.stop(),
    () => kit?.close(),
    () => metrics.shutdown(),
    () => rateLimits?.close(),
    () => orm?.close(),
    () => embedded?.stop(),
  ];
  try {
    let databaseUrl = config.databaseUrl;
    if (!databaseUrl) {
      const postgresDir = join(config.dataDir, 'postgres');
      // A cluster that outlived the secret it was used with (the secret file deleted; or, as root,
      // the checkout deleted and cloned again at the same path) holds signing keys encrypted under
      // it, and sessions no one can use: with a new secret, it is set aside and a new one made.
      embedded = await startEmbeddedPostgres({
        dataDir: postgresDir,
        persistent: true,
        fresh: config.secretIsNew,
      });
      databaseUrl = embedded.url;
      demoLog.info(describeEmbeddedPostgres(embedded, postgresDir, 'apps/demo/.data/postgres'));
      if (embedded.setAside) {
        demoLog.warn(
          `the embedded PostgreSQL cluster was made under another secret, which is gone: it was moved to ${embedded.setAside} and a new one was made (delete the old one when you no longer need it)`,
        );
      }
    }
    orm = await createKitOrm({
      databaseUrl,
      // knex's and MikroORM's own lines (a dropped connection during an outage) as JSON too, by
      // fixed name only.
      logger: kitLog,
      ...(config.databaseTimeoutMs === undefined ? {} : { timeoutMs: config.databaseTimeoutMs }),
    });
    await migrate(orm);
    // Rate-limit counters in PostgreSQL, or in Redis when REDIS_URL is set: every instance on the
    // same database (or Redis) shares them.
    rateLimits = await openRateLimitStore({ orm, redisUrl: config.redisUrl, logger: demoLog });
    demoLog.info(rateLimits.description);
    const dpopReplays = chooseDpopReplayCaches({
      orm,
      embedded: embedded !== undefined,
      redis: rateLimits.redis,
    });
    demoLog.info(dpopReplays.description);
    kit = await createAuthKit({
      issuer: config.issuer,
      audience: config.audience,
      secret: config.secret,
      // KIT_SIGNING_KEYS when given; otherwise keys are generated into, encrypted in and rotated by
      // the database key store, shared by every instance on this database.
      ...(config.signingKeys
        ? { signingKeys: config.signingKeys }
        : { keyStore: createMikroOrmKeyStore({ orm }) }),
      ...(config.keyRotation ? { keyRotation: config.keyRotation } : {}),
      ...(config.jwksMaxAge === undefined ? {} : { jwksMaxAge: config.jwksMaxAge }),
      store: createMikroOrmStore({ orm }),
      accessTokenTtl: config.accessTokenTtl,
      sessionIdleTtl: config.sessionIdleTtl,
      sessionMaxAge: config.sessionMaxAge,
      reuseGrace: config.reuseGrace,
      // A login with a DPoP header opens a session bound to the client's key (RFC 9449), whose
      // refreshes then need a proof by that key.
      dpop: { replayCache: dpopReplays.token },
      logger: kitLog,
      // A provider of its own, not the global one: two demo servers in one process (the tests) must
      // not count into each other's /metrics.
      telemetry: metrics.telemetry,
    });
    kit.on('reuse_detected', ({ session }) =>
      demoLog.warn(
        { event: 'reuse_detected', session_id: session.id },
        `reuse detected: session ${session.id} revoked`,
      ),
    );
    kit.on('dpop_key_mismatch', ({ sessionId }) =>
      demoLog.warn(
        { event: 'dpop_key_mismatch', session_id: sessionId },
        `refresh of DPoP-bound session ${sessionId} refused: proof by another key`,
      ),
    );
    // A failed run is logged by the kit itself, through its logger, with the error's code.
    pruner = kit.startPruner({
      interval: config.pruneInterval ?? '1h',
      retain: '1d',
      onRun: (deleted) => {
        if (deleted > 0) kitLog.info({ deleted }, 'kit: expired sessions pruned');
      },
    });

    const shutdownController = new AbortController();
    const app = createApp(kit, await createUsers(), {
      rateLimitStore: rateLimits.store,
      loginLimit: config.loginRateLimit,
      tokenLimit: config.tokenRateLimit,
      shutdownSignal: shutdownController.signal,
      // The session routes read the session from PostgreSQL anyway: they share the kit's cache.
      dpopReplayCaches: { me: dpopReplays.resource, sessions: dpopReplays.token },
      logger,
      metrics,
      ...(config.publicUrl ? { publicUrl: config.publicUrl } : {}),
    });
    const server = createAdaptorServer({ fetch: app.fetch, hostname: config.host }) as Server;
    return {
      app,
      kit,
      logger,
      metrics,
      server,
      shutdownController,
      cleanup,
      listen: () => listen(server, config, print),
      async close() {
        await new Promise<void>((resolve) => {
          // Not listening (never started, or closed already): nothing to wait for.
          server.close(() => resolve());
          server.closeIdleConnections();
        });
        await runCleanup(cleanup);
      },
    };
  } catch (error) {
    await runCleanup(cleanup).catch(() => undefined);
    throw error;
  }
}

function listen(server: Server, config: DemoConfig, print: (line: string) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      const info = server.address() as AddressInfo;
      const host = info.family === 'IPv6' ? `[${info.address}]` : info.address;
      const url = `http://${host}:${info.port}`;
      print(`listening on ${url}`);
      resolve(url);
    });
  });
}

/** Runs every step in order, a failing one included; throws the first failure once all have run. */
async function runCleanup(steps: ReadonlyArray<() => Promise<unknown> | unknown>): Promise<void> {
  let failure: { error: unknown } | undefined;
  for (const step of steps) {
    try {
      await step();
    } catch (error) {
      failure ??= { error };
    }
  }
  if (failure) throw failure.error;
}
