/**
 * `pnpm --filter @kit/bench rotation`: the rotation figures of `pnpm bench` alone (kit.refresh,
 * the store's rotate, and the raw `pg` limit, at 1 and 16 callers, in alternating rounds), for
 * comparing one change to the store quickly, and the same kit through a connection pooler.
 *
 * Environment:
 * - `DATABASE_URL`: the PostgreSQL server (a fresh `kit_bench_<random>` database is created on it
 *   and dropped at the end). Unset: an embedded PostgreSQL.
 * - `BENCH_POOLER_URL`: a pooler in front of that server (PgBouncer in transaction mode, say), any
 *   database name: the same kit is then also measured with its ORM connected through the pooler,
 *   in rounds alternating with the direct one.
 * - `BENCH_SECONDS` (default 5), `BENCH_WARMUP_SECONDS` (default 1), `BENCH_ROUNDS` (default 5):
 *   as for `pnpm bench`.
 *
 * Prints one JSON object: operations per second and p50 latency of each figure.
 */

import { createAuthKit, generateSecret, generateSigningKeys, importSigningKeys } from '@kit/core';
import { createKitOrm, createMikroOrmStore, migrate } from '@kit/core/mikro-orm';
import pg from 'pg';
import { openBenchDatabase } from './database.ts';
import { interleave, type MakeOperation } from './harness.ts';
import { kitRefresh, rawRotation, storeRotation } from './refresh.ts';

/** Same pool size as `pnpm bench`, for the kit's ORM and for the raw `pg.Pool`. */
const POOL_SIZE = 16;

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

const log = (line: string) => console.error(`bench: ${line}`);

async function main(): Promise<void> {
  const durationMs = seconds('BENCH_SECONDS', 5) * 1000;
  const warmupMs = seconds('BENCH_WARMUP_SECONDS', 1) * 1000;
  const rounds = Math.max(1, Math.round(seconds('BENCH_ROUNDS', 5)));
  const poolerUrl = process.env.BENCH_POOLER_URL || undefined;
  const db = await openBenchDatabase(log);
  const closers: (() => Promise<unknown>)[] = [() => db.close()];
  try {
    const orm = await createKitOrm({ databaseUrl: db.url, poolSize: POOL_SIZE });
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

    let pooled: { kit: Awaited<ReturnType<typeof makeKit>>; store: typeof store } | undefined;
    if (poolerUrl) {
      const pooledOrm = await createKitOrm({
        databaseUrl: onDatabase(poolerUrl, db.name),
        poolSize: POOL_SIZE,
      });
      closers.unshift(() => pooledOrm.close());
      const pooledStore = createMikroOrmStore({ orm: pooledOrm });
      pooled = { kit: await makeKit(pooledStore), store: pooledStore };
    }

    const figures: Record<string, { opsPerSecond: number; p50Ms: number }> = {};
    for (const concurrency of [1, 16]) {
      const variants: { key: string; makeOperation: MakeOperation }[] = [
        { key: 'raw', makeOperation: rawRotation(kit, pool, concurrency) },
        { key: 'kit', makeOperation: kitRefresh(kit, concurrency) },
        { key: 'store', makeOperation: storeRotation(kit, store, pool, concurrency) },
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
