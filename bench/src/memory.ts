/**
 * `pnpm --filter @kit/bench memory`: the memory section of `pnpm bench` alone (see
 * memory/measure.ts): the RSS of the demo server as `pnpm demo` starts it, idle and under the load
 * of the issue, next to the demo without the start script's malloc setting, its former start, a
 * minimal host, the bare token endpoint and two floors. Prints a table and writes
 * `bench/results/memory-latest.json`. Linux only: the figures are read from /proc.
 *
 * Environment: `DATABASE_URL` (unset: an embedded PostgreSQL; a fresh database is created on it and
 * dropped at the end), `BENCH_MEMORY_RUNS` (default 3), `BENCH_MEMORY_SETTLE_SECONDS` (default 10),
 * `BENCH_MEMORY_SUBJECTS` (comma-separated, default: demo, demo-js, demo-tsx, host, bare, orm,
 * node; `demo-js-try` runs the demo's server with the V8 flags of `BENCH_MEMORY_FLAGS`).
 */
import { openMigratedBenchDatabase } from './database.ts';
import { runMemorySection } from './memory/section.ts';

const log = (line: string) => console.error(`bench: ${line}`);

const db = await openMigratedBenchDatabase(log);
try {
  await runMemorySection(db.url, log);
} finally {
  await db.close();
}
