/**
 * `pnpm --filter @kit/bench rotation`: the rotation figures of `pnpm bench` alone (kit.refresh and
 * the store's rotate at 1 and 16 callers, next to the raw `pg` limit), in alternating rounds, each
 * measured three ways in the same run:
 *
 * - as shipped: `createKitOrm` with its default `preparedStatements: 'auto'`, which judges each
 *   connection at connect; on this direct connection: named statements and the statement timeout
 *   set once on the session;
 * - as the kit ran before it supported poolers (`previous`): `statement_timeout` as a startup
 *   parameter and the store's hot statements as named prepared statements, parsed and planned once
 *   per connection (see {@link createPreviousKitOrm});
 * - with `createKitOrm({ preparedStatements: true })`, the forced direct way (`prepared`);
 * - with `createKitOrm({ preparedStatements: false })`, the pooler-safe way forced on a direct
 *   connection (`unnamed`: unnamed statements, the timeout sent with each), which was the default
 *   before the per-connection check;
 * - with `BENCH_POOLER_URL` set, as shipped through that pooler (`pooled`), which the check judges
 *   pooled.
 *
 * Alternating rounds in one process put the same background load on every variant, which matters
 * on a shared machine far more than run-to-run differences.
 *
 * Environment:
 * - `DATABASE_URL`: the PostgreSQL server (a fresh `kit_bench_<random>` database is created on it
 *   and dropped at the end). Unset: an embedded PostgreSQL.
 * - `BENCH_POOLER_URL`: a pooler in front of that server (PgBouncer in transaction mode, say), any
 *   database name (the run's database is reached through it by name).
 * - `BENCH_SECONDS` (default 10), `BENCH_WARMUP_SECONDS` (default 1), `BENCH_ROUNDS` (default 10):
 *   measured seconds per figure, warm-up, and how many alternating windows they are cut into.
 *
 * Prints one JSON object: operations per second, p50 latency, and CPU per operation of each figure:
 * this Node process's (`clientCpuUs`) and the whole machine's (`machineCpuUs`: PostgreSQL, the
 * client, PgBouncer, and whatever else runs on a shared machine).
 */

import { createAuthKit, generateSecret, generateSigningKeys, importSigningKeys } from '@kit/core';
import { createKitOrm, createMikroOrmStore, KitSession, KitSigningKey, migrate } from '@kit/core/mikro-orm';
import { MikroORM, PostgreSqlDriver } from '@mikro-orm/postgresql';
import pg from 'pg';
import { openBenchDatabase } from './database.ts';
import { interleave, type MakeOperation } from './harness.ts';
import { kitRefresh, rawRotation, storeRotation } from './refresh.ts';
import { kitStatementLabel } from './scale-probes.ts';

/** Same pool size as `pnpm bench`, for every ORM and for the raw `pg.Pool`. */
const POOL_SIZE = 16;
const TIMEOUT_MS = 2000;

function seconds(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number of seconds.`);
  return value;
}

/** `url` with its database name replaced by `database`. */
function onDatabase(url: string, database: string): string {
  const next = new URL(url);
  next.pathname = `/${database}`;
  return next.toString();
}

type Query = (this: unknown, config: unknown, ...rest: unknown[]) => unknown;

/**
 * The ORM as `createKitOrm` made it before the kit supported poolers: `statement_timeout` sent as a
 * startup parameter (no `set_config` in front of each statement), and the store's six hot
 * statements sent under the names the store gave them then (`kit_rotate_session`,
 * `kit_rotate_sessions`, ...), so each connection parses and plans them once. Same pool, same
 * timeouts otherwise.
 */
export async function createPreviousKitOrm(databaseUrl: string, poolSize: number): Promise<MikroORM> {
  return MikroORM.init({
    driver: PostgreSqlDriver,
    clientUrl: databaseUrl,
    connect: false,
    entities: [KitSession, KitSigningKey],
    discovery: { warnWhenNoEntities: false },
    allowGlobalContext: false,
    debug: false,
    pool: {
      min: 0,
      max: poolSize,
      idleTimeoutMillis: 30_000,
      afterCreate(connection: { query: Query }, done: (error: Error | null, connection: unknown) => void) {
        const query = connection.query;
        connection.query = function (this: unknown, config: unknown, ...rest: unknown[]) {
          const c = config as { text?: unknown; name?: unknown; submit?: unknown } | null;
          if (typeof c === 'object' && c && typeof c.text === 'string' && !c.name && !c.submit) {
            const name = kitStatementLabel(c.text);
            if (name) return query.call(this, { ...c, name }, ...rest);
          }
          return query.call(this, config, ...rest);
        };
        done(null, connection);
      },
    },
    driverOptions: {
      acquireConnectionTimeout: TIMEOUT_MS,
      connection: {
        connectionTimeoutMillis: TIMEOUT_MS,
        statement_timeout: TIMEOUT_MS,
        query_timeout: TIMEOUT_MS + 500,
        keepAlive: true,
      },
    },
  });
}

const log = (line: string) => console.error(`bench: ${line}`);

async function main(): Promise<void> {
  const durationMs = seconds('BENCH_SECONDS', 10) * 1000;
  const warmupMs = seconds('BENCH_WARMUP_SECONDS', 1) * 1000;
  const rounds = Math.max(1, Math.round(seconds('BENCH_ROUNDS', 10)));
  const poolerUrl = process.env.BENCH_POOLER_URL || undefined;
  const db = await openBenchDatabase(log);
  const closers: (() => Promise<unknown>)[] = [() => db.close()];
  try {
    const orm = await createKitOrm({ databaseUrl: db.url, poolSize: POOL_SIZE, timeoutMs: TIMEOUT_MS });
    closers.unshift(() => orm.close());
    await migrate(orm);
    const pool = new pg.Pool({ connectionString: db.url, max: POOL_SIZE, keepAlive: true });
    closers.unshift(() => pool.end());
    const keys = await importSigningKeys(await generateSigningKeys({ alg: 'ES256' }));
    const secret = generateSecret();
    const makeKit = (store: ReturnType<typeof createMikroOrmStore>) =>
      createAuthKit({
        issuer: 'https://auth.bench.test',
        audience: 'https://api.bench.test',
        secret,
        signingKeys: keys,
        store,
      });
    const store = createMikroOrmStore({ orm });
    const kit = await makeKit(store);

    const previousOrm = await createPreviousKitOrm(db.url, POOL_SIZE);
    closers.unshift(() => previousOrm.close());
    const previousStore = createMikroOrmStore({ orm: previousOrm });
    const previousKit = await makeKit(previousStore);
    // The previous variant must really run named statements: one refresh on its first connection,
    // then ask that connection.
    await previousKit.refresh((await previousKit.createSession({ userId: 'bench-previous' })).refreshToken);
    const prepared = (await previousOrm.em
      .getConnection()
      .execute(`select name from pg_prepared_statements where name = 'kit_rotate_session'`)) as unknown[];
    if (prepared.length !== 1)
      throw new Error('The previous-release ORM did not prepare kit_rotate_session.');

    const preparedOrm = await createKitOrm({
      databaseUrl: db.url,
      poolSize: POOL_SIZE,
      timeoutMs: TIMEOUT_MS,
      preparedStatements: true,
    });
    closers.unshift(() => preparedOrm.close());
    const preparedStore = createMikroOrmStore({ orm: preparedOrm });
    const preparedKit = await makeKit(preparedStore);

    // The default on this direct connection must really have judged it direct: named statements.
    await kit.refresh((await kit.createSession({ userId: 'bench-auto' })).refreshToken);
    const autoPrepared = (await orm.em
      .getConnection()
      .execute(`select name from pg_prepared_statements where name like 'kit\\_%'`)) as unknown[];
    if (autoPrepared.length === 0)
      throw new Error('The default ORM did not judge the direct connection direct (no named statements).');

    const unnamedOrm = await createKitOrm({
      databaseUrl: db.url,
      poolSize: POOL_SIZE,
      timeoutMs: TIMEOUT_MS,
      preparedStatements: false,
    });
    closers.unshift(() => unnamedOrm.close());
    const unnamedStore = createMikroOrmStore({ orm: unnamedOrm });
    const unnamedKit = await makeKit(unnamedStore);

    let pooled: { kit: Awaited<ReturnType<typeof makeKit>>; store: typeof store } | undefined;
    if (poolerUrl) {
      const pooledOrm = await createKitOrm({
        databaseUrl: onDatabase(poolerUrl, db.name),
        poolSize: POOL_SIZE,
        timeoutMs: TIMEOUT_MS,
      });
      closers.unshift(() => pooledOrm.close());
      const pooledStore = createMikroOrmStore({ orm: pooledOrm });
      pooled = { kit: await makeKit(pooledStore), store: pooledStore };
    }

    const figures: Record<
      string,
      { opsPerSecond: number; p50Ms: number; clientCpuUs: number; machineCpuUs: number | null }
    > = {};
    for (const concurrency of [1, 16]) {
      const variants: { key: string; makeOperation: MakeOperation }[] = [
        { key: 'raw', makeOperation: rawRotation(kit, pool, concurrency) },
        { key: 'kit', makeOperation: kitRefresh(kit, concurrency) },
        { key: 'kit-previous', makeOperation: kitRefresh(previousKit, concurrency) },
        { key: 'kit-prepared', makeOperation: kitRefresh(preparedKit, concurrency) },
        { key: 'kit-unnamed', makeOperation: kitRefresh(unnamedKit, concurrency) },
        { key: 'store', makeOperation: storeRotation(kit, store, pool, concurrency) },
        { key: 'store-previous', makeOperation: storeRotation(kit, previousStore, pool, concurrency) },
        { key: 'store-prepared', makeOperation: storeRotation(kit, preparedStore, pool, concurrency) },
        { key: 'store-unnamed', makeOperation: storeRotation(kit, unnamedStore, pool, concurrency) },
      ];
      if (pooled) {
        variants.push(
          { key: 'kit-pooled', makeOperation: kitRefresh(pooled.kit, concurrency) },
          { key: 'store-pooled', makeOperation: storeRotation(kit, pooled.store, pool, concurrency) },
        );
      }
      log(`measuring rotation at ${concurrency} caller(s): ${variants.map((v) => v.key).join(', ')}`);
      const results = await interleave({ warmupMs, durationMs, concurrency, rounds }, variants);
      for (const [key, result] of results) {
        figures[`refresh.${key}@${concurrency}`] = {
          opsPerSecond: Math.round(result.opsPerSecond),
          p50Ms: Number(result.latencyMs.p50.toFixed(3)),
          clientCpuUs: Math.round(result.processCpuMicrosPerOp),
          machineCpuUs:
            result.machineCpuCores === null
              ? null
              : Math.round(((result.machineCpuCores * result.seconds) / result.operations) * 1e6),
        };
      }
    }
    console.log(JSON.stringify({ source: db.source, pooler: Boolean(poolerUrl), figures }, null, 2));
  } finally {
    for (const close of closers)
      await close().catch((error: unknown) => log(`clean-up failed: ${String(error)}`));
  }
}

await main();
