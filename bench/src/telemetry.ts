/**
 * `pnpm --filter @kit/bench telemetry`: the OpenTelemetry section of `pnpm bench` alone (see
 * telemetry-cost.ts): `POST /token`, `GET /me` and the kit's in-process calls in a server with no
 * SDK and in one with an SDK registered, in alternating rounds. Prints a table and writes
 * `bench/results/telemetry-latest.json`. With `BENCH_HTTP_PROFILE=DIR`, each server writes a CPU
 * profile into DIR (their pids are logged: which one had the SDK).
 *
 * Environment: `DATABASE_URL` (unset: an embedded PostgreSQL), `BENCH_SECONDS` (default 5,
 * measured seconds per variant and figure), `BENCH_WARMUP_SECONDS` (default 1), `BENCH_ROUNDS`
 * (default 5). `BENCH_TELEMETRY_SDK` chooses what the "with SDK" server registers: `sdk` (the
 * default, as in `pnpm bench`), some parts of it (`metrics`, `traces`, `context`, comma-separated),
 * or `none`: a control run, where the two servers are the same and the ratios show how far apart
 * the measurement puts equals. `BENCH_TELEMETRY_SPLIT` splits the cost: `sdk-alone` (the "with
 * SDK" server's kit has `telemetry: false`: what the SDK costs by itself) or `kit-only` (both
 * servers run the SDK, the "no SDK" one with the kit's telemetry off: what the kit adds) or
 * `sdk-floor` (as `kit-only`, the "no SDK" server's refreshes making the kit's SDK calls by hand:
 * what the kit adds beyond the SDK's own work; sdk-calls.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { openMigratedBenchDatabase } from './database.ts';
import { positiveEnv } from './env.ts';
import { machineInfo, softwareInfo } from './report.ts';
import { formatTelemetryFigures, measureTelemetry } from './telemetry-cost.ts';

const POOL_SIZE = 16;
const log = (line: string) => console.error(`bench: ${line}`);

const benchSeconds = positiveEnv('BENCH_SECONDS', 5);
const warmupSeconds = positiveEnv('BENCH_WARMUP_SECONDS', 1);
const rounds = Math.max(1, Math.round(positiveEnv('BENCH_ROUNDS', 5)));

const split = process.env.BENCH_TELEMETRY_SPLIT || undefined;
if (split !== undefined && split !== 'sdk-alone' && split !== 'kit-only' && split !== 'sdk-floor')
  throw new Error('BENCH_TELEMETRY_SPLIT is sdk-alone, kit-only or sdk-floor.');

const machine = machineInfo(); // its load average is the one at the start
const db = await openMigratedBenchDatabase(log);
try {
  const { figures, comparisons, summary } = await measureTelemetry({
    databaseUrl: db.url,
    poolSize: POOL_SIZE,
    connections: 16,
    warmupSeconds,
    benchSeconds,
    rounds,
    sdk: process.env.BENCH_TELEMETRY_SDK === 'none' ? '' : process.env.BENCH_TELEMETRY_SDK || 'sdk',
    ...(split ? { split } : {}),
    log,
  });
  const loadAverageAtEnd = os.loadavg();
  console.log(formatTelemetryFigures(figures, comparisons));
  console.log(
    `load average ${machine.loadAverageAtStart.map((l) => l.toFixed(2)).join(' ')} at start, ${loadAverageAtEnd.map((l) => l.toFixed(2)).join(' ')} at end`,
  );
  console.log(`spans per POST /token: ${JSON.stringify(summary.token.spansPerRequest)}`);
  console.log(`spans per GET /me: ${JSON.stringify(summary.me.spansPerRequest)}`);
  console.log(`instruments collected: ${summary.metricNames.join(', ') || 'none'}`);
  const result = {
    date: new Date().toISOString(),
    settings: { benchSeconds, warmupSeconds, rounds, poolSize: POOL_SIZE, connections: 16 },
    machine: { ...machine, loadAverageAtEnd },
    software: softwareInfo(),
    database: { source: db.source, version: db.version, settings: db.settings },
    figures: Object.fromEntries(
      figures.map((f) => [f.key, { name: f.name, contains: f.contains, ...f.result }]),
    ),
    comparisons,
    openTelemetry: summary,
  };
  mkdirSync(new URL('../results/', import.meta.url), { recursive: true });
  writeFileSync(
    new URL('../results/telemetry-latest.json', import.meta.url),
    `${JSON.stringify(result, null, 2)}\n`,
  );
  console.log('\nresults written to bench/results/telemetry-latest.json');
} finally {
  await db.close();
}
