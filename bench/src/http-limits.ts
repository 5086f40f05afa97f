/**
 * `pnpm --filter @kit/bench http`: the HTTP section of `pnpm bench` alone (see http.ts): `POST
 * /token` against the bare token endpoint, and `GET /me` behind `createBearerAuth` against the
 * bare verifier (with `GET /health` beside it), the kit's server and the bare one in processes of
 * their own, in alternating rounds, judged on each server process's CPU per request. The raw
 * rotation statement (the earlier `/token` limit) is left out: it runs in `pnpm bench`. Prints a
 * table and writes `bench/results/http-latest.json`. With `BENCH_HTTP_PROFILE=DIR`, each server
 * writes a CPU profile into DIR (their pids are logged).
 *
 * Environment: `DATABASE_URL` (unset: an embedded PostgreSQL), `BENCH_SECONDS` (default 5,
 * measured seconds per figure), `BENCH_WARMUP_SECONDS` (default 1), `BENCH_ROUNDS` (default 5).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { openMigratedBenchDatabase } from './database.ts';
import { positiveEnv } from './env.ts';
import { formatHttpFigures, httpComparisons, measureHttp } from './http.ts';
import { machineInfo, softwareInfo } from './report.ts';

const POOL_SIZE = 16;
const CONNECTIONS = 16;
const log = (line: string) => console.error(`bench: ${line}`);

const benchSeconds = positiveEnv('BENCH_SECONDS', 5);
const warmupSeconds = positiveEnv('BENCH_WARMUP_SECONDS', 1);
const rounds = Math.max(1, Math.round(positiveEnv('BENCH_ROUNDS', 5)));

const machine = machineInfo(); // its load average is the one at the start
const db = await openMigratedBenchDatabase(log);
try {
  const figures = await measureHttp({
    databaseUrl: db.url,
    poolSize: POOL_SIZE,
    connections: CONNECTIONS,
    warmupSeconds,
    benchSeconds,
    rounds,
    log,
  });
  const comparisons = httpComparisons(new Map(figures.map((f) => [f.key, f])), CONNECTIONS);
  const loadAverageAtEnd = os.loadavg();
  console.log(formatHttpFigures(figures, comparisons));
  console.log(
    `load average ${machine.loadAverageAtStart.map((l) => l.toFixed(2)).join(' ')} at start, ${loadAverageAtEnd.map((l) => l.toFixed(2)).join(' ')} at end`,
  );
  const result = {
    date: new Date().toISOString(),
    settings: { benchSeconds, warmupSeconds, rounds, poolSize: POOL_SIZE, connections: CONNECTIONS },
    machine: { ...machine, loadAverageAtEnd },
    software: softwareInfo(),
    database: { source: db.source, version: db.version, settings: db.settings },
    figures: Object.fromEntries(
      figures.map((f) => [f.key, { name: f.name, contains: f.contains, ...f.result }]),
    ),
    comparisons,
  };
  mkdirSync(new URL('../results/', import.meta.url), { recursive: true });
  writeFileSync(
    new URL('../results/http-latest.json', import.meta.url),
    `${JSON.stringify(result, null, 2)}\n`,
  );
  console.log('\nresults written to bench/results/http-latest.json');
} finally {
  await db.close();
}
