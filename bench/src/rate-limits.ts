/**
 * `pnpm --filter @kit/bench rate-limits`: the rate-limit section of `pnpm bench` alone (see
 * rate-limit-stores.ts): `POST /token` with no limit, and with the in-memory, PostgreSQL and Redis
 * stores, in alternating rounds. Prints a table and the shared stores' ratios to no limit (CPU per
 * request judged at 0.85), and writes `bench/results/rate-limits-latest.json`.
 *
 * Environment: `DATABASE_URL` (unset: an embedded PostgreSQL), `REDIS_URL` (unset: the Redis on
 * 127.0.0.1:6379 when one answers, otherwise the Redis store is left out), `BENCH_SECONDS`
 * (default 5, measured seconds per variant), `BENCH_WARMUP_SECONDS` (default 1), `BENCH_ROUNDS`
 * (default 5).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { openMigratedBenchDatabase } from './database.ts';
import { positiveEnv } from './env.ts';
import {
  benchRedisUrl,
  formatRateLimitFigures,
  measureRateLimitStores,
  rateLimitComparisons,
} from './rate-limit-stores.ts';
import { machineInfo, softwareInfo } from './report.ts';

const POOL_SIZE = 16;
const log = (line: string) => console.error(`bench: ${line}`);

const benchSeconds = positiveEnv('BENCH_SECONDS', 5);
const warmupSeconds = positiveEnv('BENCH_WARMUP_SECONDS', 1);
const rounds = Math.max(1, Math.round(positiveEnv('BENCH_ROUNDS', 5)));

const machine = machineInfo(); // its load average is the one at the start
const db = await openMigratedBenchDatabase(log);
try {
  const figures = await measureRateLimitStores({
    databaseUrl: db.url,
    poolSize: POOL_SIZE,
    connections: 16,
    warmupSeconds,
    benchSeconds,
    rounds,
    redisUrl: await benchRedisUrl(),
    log,
  });
  console.log(formatRateLimitFigures(figures));
  const comparisons = rateLimitComparisons(new Map(figures.map((f) => [f.key, f])), 16);
  for (const c of comparisons) {
    const verdict =
      c.pass === null ? '' : c.pass ? ` (target ${c.target}: met)` : ` (target ${c.target}: MISSED)`;
    console.log(`${c.name}: ${c.ratio.toFixed(3)}${verdict}`);
  }
  const result = {
    date: new Date().toISOString(),
    settings: { benchSeconds, warmupSeconds, rounds, poolSize: POOL_SIZE, connections: 16 },
    machine: { ...machine, loadAverageAtEnd: os.loadavg() },
    software: softwareInfo(),
    database: { source: db.source, version: db.version, settings: db.settings },
    comparisons,
    figures: Object.fromEntries(
      figures.map((f) => [
        f.key,
        { name: f.name, contains: f.contains, ...f.result, machineCpuMicrosPerOp: f.machineCpuMicrosPerOp },
      ]),
    ),
  };
  mkdirSync(new URL('../results/', import.meta.url), { recursive: true });
  const file = new URL('../results/rate-limits-latest.json', import.meta.url);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`\nresults written to bench/results/rate-limits-latest.json`);
} finally {
  await db.close();
}
