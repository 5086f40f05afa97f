/**
 * `pnpm bench`: every benchmark of the kit in one run, against one fresh database, each figure
 * next to its physical limit. Prints a table and writes `bench/results/latest.json`.
 *
 * Environment:
 * - `DATABASE_URL`: a PostgreSQL server to use (a fresh `kit_bench_<random>` database is created
 *   on it and dropped at the end). Unset: an embedded PostgreSQL is started and stopped.
 * - `BENCH_SECONDS` (default 5): measured seconds of each figure.
 * - `BENCH_WARMUP_SECONDS` (default 1): warm-up before each figure, not counted.
 * - `BENCH_SOAK=0`: skip the soak (see measure-soak.ts for `SOAK_SECONDS` and `SOAK_RATE`).
 * - `BENCH_MEMORY=0`: skip the memory section (see memory/measure.ts for `BENCH_MEMORY_RUNS`,
 *   `BENCH_MEMORY_SETTLE_SECONDS` and `BENCH_MEMORY_SUBJECTS`; Linux only, skipped elsewhere).
 * - `BENCH_PUBLISH=1`: also write the JSON and the SVG chart to `docs/assets/` for the benchmarks
 *   page.
 * - `BENCH_ROUNDS` (default 5): a figure and its limit are measured in this many alternating
 *   rounds (see harness.ts), each getting BENCH_SECONDS of measured time in total.
 *
 * A missed target is reported, not an error: the exit code is 0 whenever the run completed.
 */

import os from 'node:os';
import { createAuthKit, generateSecret, generateSigningKeys, importSigningKeys } from '@kit/core';
import { createKitOrm, createMikroOrmStore, migrate } from '@kit/core/mikro-orm';
import type { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import {
  createCpuOnlyStore,
  type MakeKit,
  measureRefreshBreakdown,
  type RefreshBreakdown,
  signing,
  withStubbedSigning,
} from './breakdown.ts';
import { measureCryptoPaths } from './crypto-paths.ts';
import { type BenchDatabase, openBenchDatabase } from './database.ts';
import { interleave, prepareRounds, type RunResult, type RunSettings, run } from './harness.ts';
import { httpComparisons, measureHttp } from './http.ts';
import { measureSoak } from './measure-soak.ts';
import { runMemorySection } from './memory/section.ts';
import {
  benchRedisUrl,
  formatRateLimitFigures,
  measureRateLimitStores,
  rateLimitComparisons,
} from './rate-limit-stores.ts';
import {
  checkRotateSql,
  kitRefresh,
  rawGroupedRotation,
  rawRotation,
  readRotateManySql,
  storeRotation,
} from './refresh.ts';
import {
  type Comparison,
  compare,
  type Figure,
  formatReport,
  machineInfo,
  type Report,
  softwareInfo,
  writeReport,
} from './report.ts';
import { formatTelemetryFigures, measureTelemetry } from './telemetry-cost.ts';
import { edgeVerify, kitVerify, mintAccessToken, rawVerify } from './verify.ts';

/** Same pool size for the kit's ORM and for the raw `pg.Pool`: neither side gets more connections. */
const POOL_SIZE = 16;
const CONCURRENCY = [1, 16] as const;
const REFRESH_TARGET = 0.8;
const VERIFY_TARGET = 0.85;

function seconds(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number of seconds.`);
  return value;
}

const log = (line: string) => console.error(`bench: ${line}`);

async function main(): Promise<void> {
  const benchSeconds = seconds('BENCH_SECONDS', 5);
  const warmupSeconds = seconds('BENCH_WARMUP_SECONDS', 1);
  const rounds = Math.max(1, Math.round(seconds('BENCH_ROUNDS', 5)));
  const timing = { warmupMs: warmupSeconds * 1000, durationMs: benchSeconds * 1000 };
  const at = (concurrency: number): RunSettings => ({ ...timing, concurrency });
  const machine = machineInfo();

  const cleanups: (() => Promise<void>)[] = [];
  const cleanUp = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      await cleanup().catch((error: unknown) => log(`clean-up failed: ${String(error)}`));
    }
  };
  // Ctrl-C mid-run still drops the database and stops the embedded server.
  process.once('SIGINT', () => {
    log('interrupted, cleaning up');
    void cleanUp().finally(() => process.exit(130));
  });

  try {
    const db: BenchDatabase = await openBenchDatabase(log);
    cleanups.push(() => db.close());

    const orm: MikroORM = await createKitOrm({ databaseUrl: db.url, poolSize: POOL_SIZE });
    cleanups.push(() => orm.close());
    await migrate(orm);
    const pool = new pg.Pool({
      connectionString: db.url,
      max: POOL_SIZE,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
    });
    cleanups.push(() => pool.end());

    // One ES256 key set and one secret for every kit of the run (the contract's default algorithm).
    const keys = await importSigningKeys(await generateSigningKeys({ alg: 'ES256' }));
    const secret = generateSecret();
    const makeKit: MakeKit = (store, signingKeys) =>
      createAuthKit({
        issuer: 'https://auth.bench.test',
        audience: 'https://api.bench.test',
        secret,
        signingKeys,
        store,
        // Only so the verification token outlives long runs; a lifetime costs nothing per token.
        accessTokenTtl: '1h',
      });
    const store = createMikroOrmStore({ orm });
    const kit = await makeKit(store, keys);
    // Diagnostic twin: the same kit and store, signing replaced by a constant (see breakdown.ts).
    const unsignedKit = await makeKit(store, withStubbedSigning(keys));

    await checkRotateSql(orm, kit);
    log('the raw loop runs the exact statement the kit prepared');
    const rotateManySql = await readRotateManySql(orm, kit);

    const figures = new Map<string, Figure>();
    const describe = (key: string, name: string, contains: string, result: RunResult | undefined) => {
      if (!result) throw new Error(`no result for ${key}`);
      figures.set(key, { key, name, contains, result });
    };

    // 1 and 2: refresh rotation against its physical limit, at 1 then 16 callers. The raw loop,
    // the kit, the kit's store alone and the kit without signing run in alternating rounds, each
    // caller on its own session of the same table, so background load and table state weigh on
    // all of them alike.
    for (const c of CONCURRENCY) {
      log(
        `measuring rotation at ${c} caller(s): raw pg, kit.refresh, store.rotate, unsigned kit.refresh (${rounds} rounds)`,
      );
      const results = await interleave({ ...at(c), rounds }, [
        { key: 'raw', makeOperation: rawRotation(kit, pool, c) },
        { key: 'raw-grouped', makeOperation: rawGroupedRotation(kit, pool, rotateManySql, c) },
        { key: 'kit', makeOperation: kitRefresh(kit, c) },
        { key: 'store', makeOperation: storeRotation(kit, store, pool, c) },
        { key: 'unsigned', makeOperation: kitRefresh(unsignedKit, c) },
      ]);
      describe(
        `refresh.raw@${c}`,
        'rotation: raw pg (limit)',
        'pg.Pool, named prepared compare-and-set UPDATE ... RETURNING on kit_sessions, precomputed hashes',
        results.get('raw'),
      );
      describe(
        `refresh.raw-grouped@${c}`,
        'rotation: raw pg, grouped (limit of grouping)',
        "pg.Pool, the kit's grouped compare-and-set (UPDATE ... FROM unnest(...)) with the kit's natural batching: at most 2 statements in flight, callers arriving meanwhile leave together; precomputed hashes",
        results.get('raw-grouped'),
      );
      describe(
        `refresh.kit@${c}`,
        'rotation: kit.refresh',
        'the full refresh: token decode + HMAC tag check, 2 SHA-256, successor HMAC, the same UPDATE via the ORM pool, an ES256 access token signed, the next refresh token encoded',
        results.get('kit'),
      );
      describe(
        `refresh.store@${c}`,
        'rotation: kit store.rotate only',
        'createMikroOrmStore().rotate with precomputed hashes: the same UPDATE via the knex pool plus row mapping; no token crypto, no signing',
        results.get('store'),
      );
      describe(
        `refresh.kit-unsigned@${c}`,
        'rotation: kit.refresh, signing stubbed',
        "kit.refresh with the signing key's sign() returning a constant: the full refresh minus ES256 signing (diagnostic; its access tokens are invalid)",
        results.get('unsigned'),
      );
    }

    // Access-token signing alone: a floor under the cost of every refresh response. One caller:
    // on Node the signature is computed synchronously on the main thread, so more callers would
    // only queue behind each other.
    log('measuring ES256 access-token signing');
    describe(
      'sign@1',
      'ES256 access-token signing alone',
      "claims JSON + base64url + the signing key's sign() (node:crypto on Node, on the main thread), as the kit mints access tokens",
      await run(at(1), signing(keys, kit)),
    );

    // The kit's own CPU per refresh: the same kit code on a store in memory, one caller.
    log("measuring kit.refresh on an in-memory store (the kit's own CPU)");
    const cpuOnlyKit = await makeKit(createCpuOnlyStore(), keys);
    describe(
      'refresh.kit-cpu@1',
      'kit.refresh, in-memory store',
      "kit.refresh on a store in memory: only the kit's own work (token codec, HMACs, ES256 signing); its node µs/op is the kit's own CPU per refresh (plus a few µs of this loop and the in-memory store)",
      await run(at(1), kitRefresh(cpuOnlyKit, 1)),
    );

    // Diagnostic: where the time of a refresh goes (separate ORM so its instruments touch nothing else).
    const breakdown: RefreshBreakdown[] = [];
    const diagnosticOrm = await createKitOrm({ databaseUrl: db.url, poolSize: POOL_SIZE });
    try {
      for (const c of CONCURRENCY) {
        log(`measuring the refresh breakdown at ${c} caller(s)`);
        breakdown.push(await measureRefreshBreakdown(diagnosticOrm, makeKit, keys, at(c)));
      }
    } finally {
      await diagnosticOrm.close();
    }

    // 3: access-token verification against a bare crypto.subtle.verify, one sequential caller
    // each (CPU-bound), in alternating rounds, all on the same token.
    log(
      `measuring verification: crypto.subtle.verify, kit.verifyAccessToken, createVerifier (${rounds} rounds)`,
    );
    const token = await mintAccessToken(kit);
    const verified = await interleave({ ...at(1), rounds }, [
      { key: 'raw', makeOperation: rawVerify(kit, token) },
      { key: 'kit', makeOperation: kitVerify(kit, token) },
      { key: 'edge', makeOperation: edgeVerify(kit, token) },
    ]);
    describe(
      'verify.raw',
      'verify: crypto.subtle.verify (limit)',
      'split, base64url-decode the signature, crypto.subtle.verify ES256 with a pre-imported key; no header or claim checks',
      verified.get('raw'),
    );
    describe(
      'verify.kit',
      'verify: kit.verifyAccessToken',
      'full RFC 9068 verification: header checks (cached), signature, claims',
      verified.get('kit'),
    );
    describe(
      'verify.edge',
      'verify: createVerifier (local JWKS)',
      '@kit/core/verify createVerifier({ issuer, audience, jwks }): what an edge service runs',
      verified.get('edge'),
    );

    // 4: the same paths over HTTP (@kit/hono) with a load generator on 127.0.0.1, each against a
    // bare server doing the same minimal work in a process of its own (see http.ts); the raw
    // rotation statement, the earlier limit of POST /token, in the same rounds.
    for (const figure of await measureHttp({
      databaseUrl: db.url,
      poolSize: POOL_SIZE,
      connections: 16,
      warmupSeconds,
      benchSeconds,
      rounds,
      rawRotation: await prepareRounds(at(16), rawRotation(kit, pool, 16)),
      log,
    })) {
      figures.set(figure.key, figure);
    }

    // 4b: what each rate-limit store costs POST /token next to no limit (see rate-limit-stores.ts;
    // alone: `pnpm --filter @kit/bench rate-limits`).
    const rateLimitFigures = await measureRateLimitStores({
      databaseUrl: db.url,
      poolSize: POOL_SIZE,
      connections: 16,
      warmupSeconds,
      benchSeconds,
      rounds,
      redisUrl: await benchRedisUrl(),
      log,
    });
    log(`rate-limit stores on POST /token:\n${formatRateLimitFigures(rateLimitFigures)}`);
    // A shared store's cost is judged against no limit (CPU per request), below with the others.
    for (const figure of rateLimitFigures) figures.set(figure.key, figure);

    // 4c: what the kit's OpenTelemetry instrumentation costs POST /token, GET /me and the kit's
    // calls in a process that runs an SDK (see telemetry.ts): both servers register the same SDK
    // (metrics, one root trace in ten), one with the kit's telemetry off. No context manager: its
    // promise hooks, once anything in the process enters a context, weigh on every promise of the
    // process, kit or not, so they are the host's cost and are measured on their own, as are the
    // SDK's cost and the kit's with every span recorded (docs/benchmarks.md, OpenTelemetry).
    const telemetry = await measureTelemetry({
      databaseUrl: db.url,
      poolSize: POOL_SIZE,
      connections: 16,
      warmupSeconds,
      benchSeconds,
      rounds,
      sdk: 'metrics,traces,sampled',
      split: 'kit-only',
      log,
    });
    log(
      `OpenTelemetry: the kit's instrumentation on against off, the SDK running in both:\n${formatTelemetryFigures(telemetry.figures, telemetry.comparisons)}`,
    );
    for (const figure of telemetry.figures) figures.set(figure.key, figure);

    // 5: the Node and Web Crypto verification paths, signing, per algorithm; the edge bundle size.
    const paths = await measureCryptoPaths({ settings: at(1), rounds, figures, log });

    const comparisons: Comparison[] = [
      compare(
        figures,
        'kit.refresh / raw rotation, 16 callers',
        'refresh.kit@16',
        'refresh.raw@16',
        REFRESH_TARGET,
      ),
      compare(figures, 'kit.refresh / raw rotation, 1 caller', 'refresh.kit@1', 'refresh.raw@1', null),
      compare(
        figures,
        'kit.refresh / raw grouped rotation, 16 callers',
        'refresh.kit@16',
        'refresh.raw-grouped@16',
        null,
      ),
      compare(
        figures,
        'raw grouped / raw single-statement rotation, 16 callers',
        'refresh.raw-grouped@16',
        'refresh.raw@16',
        null,
      ),
      compare(
        figures,
        'kit.refresh without signing / raw rotation, 16 callers',
        'refresh.kit-unsigned@16',
        'refresh.raw@16',
        null,
      ),
      compare(
        figures,
        'kit.refresh without signing / raw rotation, 1 caller',
        'refresh.kit-unsigned@1',
        'refresh.raw@1',
        null,
      ),
      compare(figures, 'store.rotate / raw rotation, 16 callers', 'refresh.store@16', 'refresh.raw@16', null),
      compare(figures, 'store.rotate / raw rotation, 1 caller', 'refresh.store@1', 'refresh.raw@1', null),
      compare(
        figures,
        'kit.verifyAccessToken / crypto.subtle.verify',
        'verify.kit',
        'verify.raw',
        VERIFY_TARGET,
      ),
      compare(figures, 'createVerifier / crypto.subtle.verify', 'verify.edge', 'verify.raw', VERIFY_TARGET),
    ];
    // The HTTP figures against their bare servers (see http.ts): the judged limits of POST /token
    // and GET /me, and the DPoP figures against their Bearer figures and the bare servers (no target).
    comparisons.push(
      ...httpComparisons(figures, 16),
      ...rateLimitComparisons(figures, 16),
      ...paths.comparisons,
      ...telemetry.comparisons,
    );

    const report: Report = {
      date: new Date().toISOString(),
      settings: { benchSeconds, warmupSeconds, rounds, poolSize: POOL_SIZE },
      machine: { ...machine, loadAverageAtEnd: os.loadavg() },
      software: softwareInfo(),
      database: { source: db.source, version: db.version, settings: db.settings },
      figures: Object.fromEntries(
        [...figures.values()].map((f) => [f.key, { name: f.name, contains: f.contains, ...f.result }]),
      ),
      comparisons,
      refreshBreakdown: breakdown,
      openTelemetry: telemetry.summary,
      verifierBundle: paths.bundle,
      targetsMissed: comparisons
        .filter((c) => c.pass === false)
        .map((c) => `${c.name} = ${c.ratio.toFixed(3)} < ${c.target}`),
    };
    console.log(formatReport(report));
    console.log(`\nresults written to ${writeReport(report).join(', ')}`);

    // 5b: the memory section: the demo server's RSS idle and under load, next to a minimal host,
    // the bare server and floors (memory/measure.ts; alone: `pnpm --filter @kit/bench memory`).
    // After the throughput figures, in processes of its own; its own table and JSON.
    if (process.env.BENCH_MEMORY !== '0' && process.platform === 'linux') {
      log('memory: the demo server and its comparisons, idle and under load (BENCH_MEMORY=0 skips it)');
      await runMemorySection(db.url, log);
    }

    // 6: the soak (minutes of steady mixed traffic against the demo server, every session checked
    // at the end, memory compared), after every throughput figure so it cannot disturb them. On a
    // database of its own: the memory section's demo left signing keys under another secret.
    if (process.env.BENCH_SOAK !== '0') {
      log('soak: steady mixed traffic against the demo server (BENCH_SOAK=0 skips it)');
      const soakDb = await db.another!(log);
      try {
        await measureSoak({ databaseUrl: soakDb.url, log });
      } finally {
        await soakDb.close();
      }
    }
  } finally {
    await cleanUp();
  }
}

await main();
