/**
 * `pnpm --filter @kit/bench citus`: the kit on a Citus cluster next to plain PostgreSQL, in one
 * run, in alternating rounds, so the load of a shared machine weighs on both alike:
 *
 * 1. `POST /token` at 16 connections, each chaining its own session, against the HTTP bench's own
 *    server (http-server.ts, a process per variant) and load generator (load-process.ts):
 *    requests per second, p50/p99, the server process's CPU per refresh, and the whole machine's
 *    CPU per refresh (on one machine: server, generator and every PostgreSQL process). Variants:
 *    plain PostgreSQL with the store's defaults (grouping on) and with `rotationBatchSize: 1`,
 *    Citus with the store's defaults (it detects the distributed `kit_sessions`: grouping off), with
 *    `createKitOrm({ preparedStatements: true })` (the coordinator then plans each statement once
 *    per connection) and with grouping forced on (`rotationBatchSize: 64`).
 * 2. The revocation list's statement (`store.listRevoked`, what `GET /.well-known/...revocations`
 *    runs on a cache miss), one caller, on a table of active sessions of which some were revoked
 *    within the window: latency per call.
 * 3. The purge (`purgeSessions`, what `kit prune` runs) of expired sessions: rows per second, in
 *    batches of 1000 (the default) and of 10,000.
 *
 * Never run in CI: it needs a Citus cluster, which has no package (see docs/operations.md).
 *
 * Environment:
 * - `CITUS_URL`: a superuser URL of a Citus coordinator whose workers are added
 *   (`citus_add_node`); unset, the benchmark prints one line saying so and exits 0. A fresh
 *   `kit_bench_<random>` database spanning the cluster is created and dropped at the end.
 * - `DATABASE_URL`: the plain PostgreSQL to compare with (a fresh database likewise); unset, an
 *   embedded PostgreSQL.
 * - `BENCH_SECONDS` (default 10): measured seconds of each `/token` figure, cut into
 *   `BENCH_ROUNDS` (default 5) alternating windows; `BENCH_WARMUP_SECONDS` (default 1).
 * - `BENCH_CONNECTIONS` (default 16): connections of the `/token` figures (fewer show how the
 *   server's CPU per refresh depends on its request rate, see docs/operations.md).
 * - `BENCH_PURGE_ROWS` (default 50000): expired sessions purged per round (3 rounds per database).
 * - `BENCH_REVOKED_ROWS` (default 1000) revoked among `BENCH_ACTIVE_ROWS` (default 50000) sessions
 *   for the revocation list.
 *
 * Prints a table and writes `bench/results/citus-latest.json`.
 */

import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { purgeSessions } from '@kit/core';
import { createKitOrm, createMikroOrmStore, migrate } from '@kit/core/mikro-orm';
import type { MikroORM } from '@mikro-orm/postgresql';
import { type BenchDatabase, openBenchDatabase, openCitusBenchDatabase } from './database.ts';
import { positiveEnv } from './env.ts';
import type { RunResult } from './harness.ts';
import {
  combine,
  type Generator,
  type Load,
  measure,
  REWARM_SECONDS,
  SERVER_WARMUP_SECONDS,
  type Server,
  startChild,
} from './http.ts';
import { quantile } from './quantile.ts';

const POOL_SIZE = 16;
const PURGE_ROUNDS = 3;
/** `kit prune`'s default batch, and a larger one (`--batch-size 10000`). */
const PURGE_BATCH_SIZES = [1000, 10_000] as const;
const LIST_ROUNDS = 5;
const LIST_CALLS_PER_ROUND = 100;

/** `BENCH_CONNECTIONS` (default 16): connections of the `/token` figures. */
const connections = Math.round(positiveEnv('BENCH_CONNECTIONS', 16));

const log = (line: string) => console.error(`bench: ${line}`);

/** One database of the run. */
interface Side {
  key: 'plain' | 'citus';
  db: BenchDatabase;
  orm: MikroORM;
}

/** Runs `sql` on the ORM's connection. */
async function execute(
  orm: MikroORM,
  sql: string,
  values: unknown[] = [],
): Promise<Record<string, unknown>[]> {
  return (await orm.em.getConnection().execute(sql, values)) as Record<string, unknown>[];
}

/**
 * Inserts `count` sessions in one statement (on Citus the coordinator routes each row to its
 * shard). `kind`: `active`, `revoked` (revoked just now, refreshed just before), or `expired`
 * (idle expiry a day ago).
 */
async function seedSessions(orm: MikroORM, count: number, kind: 'active' | 'revoked' | 'expired') {
  const idle = kind === 'expired' ? `now() - interval '1 day'` : `now() + interval '1 day'`;
  const revoked = kind === 'revoked' ? 'now()' : 'null';
  const reason = kind === 'revoked' ? `'bench'` : 'null';
  await execute(
    orm,
    `insert into kit_sessions (id, user_id, client_id, created_at, last_refreshed_at, idle_expires_at,
        absolute_expires_at, revoked_at, revoked_reason, data, generation, secret_hash)
      select gen_random_uuid(), 'bench-seed-' || (i % 1000), 'default', now() - interval '2 days',
        now() - interval '1 minute', ${idle}, now() + interval '30 days', ${revoked}, ${reason},
        '{}'::jsonb, 0, sha256(i::text::bytea)
      from generate_series(1, ${Math.trunc(count)}) as i`,
  );
}

/** A `/token` variant: its own server process on one of the two databases. */
interface Variant {
  key: string;
  name: string;
  side: Side;
  rotationBatchSize?: number;
  /** `createKitOrm({ preparedStatements: true })`. */
  preparedStatements?: boolean;
  server?: Server;
  windows: RunResult[];
  /** Measured windows' totals of {@link Counters} differences. */
  totals: {
    databaseSeconds: number | null;
    workerSeconds: number;
    voluntary: number;
    involuntary: number;
  };
}

/** Linux's clock tick (`getconf CLK_TCK`), the unit of /proc/<pid>/stat's CPU times. */
const CLOCK_TICKS_PER_SECOND = 100;

/** User + system CPU of a process in seconds, from /proc (null when it is not on this machine). */
function processCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** Context switches of every thread of a process (0 when /proc is not readable). */
function contextSwitches(pid: number): { voluntary: number; involuntary: number } {
  const total = { voluntary: 0, involuntary: 0 };
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const status = readFileSync(`/proc/${pid}/task/${task}/status`, 'utf8');
      total.voluntary += Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0);
      total.involuntary += Number(/^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0);
    }
  } catch {
    // Not Linux: no figure.
  }
  return total;
}

/**
 * The PostgreSQL backends serving the run's database: on Citus the coordinator's and, through
 * `run_command_on_workers`, every worker's (the coordinator's connections to them included).
 */
async function databasePids(side: Side): Promise<{ pid: number; worker: boolean }[]> {
  const rows = await execute(side.orm, 'select pid from pg_stat_activity where datname = current_database()');
  const pids = rows.map((row) => ({ pid: Number(row.pid), worker: false }));
  if (side.key === 'citus') {
    const workers = await execute(
      side.orm,
      `select result from run_command_on_workers($$select coalesce(string_agg(pid::text, ','), '') from pg_stat_activity where datname = current_database()$$)`,
    );
    for (const row of workers) {
      for (const pid of String(row.result).split(',')) if (pid) pids.push({ pid: Number(pid), worker: true });
    }
  }
  return pids;
}

/** What a window is compared on besides the HTTP figures: database CPU, server context switches. */
interface Counters {
  database: Map<number, { seconds: number; worker: boolean }> | null;
  switches: { voluntary: number; involuntary: number };
}

async function counters(side: Side, serverPid: number): Promise<Counters> {
  const database: NonNullable<Counters['database']> = new Map();
  for (const { pid, worker } of await databasePids(side)) {
    const seconds = processCpuSeconds(pid);
    if (seconds !== null) database.set(pid, { seconds, worker });
  }
  return { database: database.size > 0 ? database : null, switches: contextSwitches(serverPid) };
}

/**
 * Adds the difference of two {@link Counters} to `totals`. A backend that started during the
 * window counts whole; one that ended during it is lost (the pools keep theirs open, so neither
 * happens in a steady window).
 */
function accumulate(totals: Variant['totals'], before: Counters, after: Counters): void {
  totals.voluntary += after.switches.voluntary - before.switches.voluntary;
  totals.involuntary += after.switches.involuntary - before.switches.involuntary;
  if (!before.database || !after.database || totals.databaseSeconds === null) {
    totals.databaseSeconds = null;
    return;
  }
  for (const [pid, { seconds, worker }] of after.database) {
    const used = seconds - (before.database.get(pid)?.seconds ?? 0);
    totals.databaseSeconds += used;
    if (worker) totals.workerSeconds += used;
  }
}

async function measureToken(
  variants: Variant[],
  generator: Generator,
  options: { rounds: number; benchSeconds: number; warmupSeconds: number },
): Promise<void> {
  for (const v of variants) {
    v.server = await startChild('./http-server.ts', `${v.key} server`, {
      BENCH_HTTP_DATABASE_URL: v.side.db.url,
      BENCH_HTTP_POOL_SIZE: String(POOL_SIZE),
      BENCH_HTTP_ROTATION_BATCH_SIZE: v.rotationBatchSize === undefined ? '' : String(v.rotationBatchSize),
      BENCH_HTTP_PREPARED_STATEMENTS: v.preparedStatements ? '1' : '0',
    });
  }
  const load = (v: Variant): Load => ({ chain: v.key });
  for (const v of variants) {
    const server = v.server!;
    log(`warming up ${v.key}`);
    await generator.call('chains', {
      name: `${v.key}-warm-up`,
      tokens: await server.call<string[]>('sessions', { count: connections }),
    });
    await measure(server, generator, {
      port: server.ready.kitPort,
      connections: connections,
      seconds: Math.max(options.warmupSeconds, SERVER_WARMUP_SECONDS),
      load: { chain: `${v.key}-warm-up` },
    });
    await generator.call('chains', {
      name: v.key,
      tokens: await server.call<string[]>('sessions', { count: connections }),
    });
  }
  log(
    `measuring POST /token at ${connections} connections: ${variants.map((v) => v.key).join(', ')} (${options.rounds} alternating rounds)`,
  );
  for (let round = 0; round < options.rounds; round++) {
    for (const v of variants) {
      const server = v.server!;
      const port = server.ready.kitPort;
      await measure(server, generator, {
        port,
        connections: connections,
        seconds: REWARM_SECONDS,
        load: load(v),
      });
      const pid = (await server.call<{ pid: number }>('stats')).pid;
      const before = await counters(v.side, pid);
      v.windows.push(
        await measure(server, generator, {
          port,
          connections: connections,
          seconds: options.benchSeconds / options.rounds,
          load: load(v),
        }),
      );
      accumulate(v.totals, before, await counters(v.side, pid));
    }
  }
}

/** Latency of `store.listRevoked` on each side, one caller, in alternating rounds. */
async function measureListRevoked(sides: Side[], revoked: number) {
  const stores = sides.map((side) => ({ side, store: createMikroOrmStore({ orm: side.orm }) }));
  const samples = new Map<string, number[]>(sides.map((s) => [s.key, []]));
  const since = () => new Date(Date.now() - 3600_000);
  for (const { side, store } of stores) {
    for (let i = 0; i < 20; i++) {
      const ids = await store.listRevoked!({ since: since() });
      if (ids.length !== revoked) {
        throw new Error(`listRevoked on ${side.key} found ${ids.length} sessions, not ${revoked}`);
      }
    }
  }
  for (let round = 0; round < LIST_ROUNDS; round++) {
    for (const { side, store } of stores) {
      for (let i = 0; i < LIST_CALLS_PER_ROUND; i++) {
        const start = performance.now();
        await store.listRevoked!({ since: since() });
        samples.get(side.key)!.push(performance.now() - start);
      }
    }
  }
  return Object.fromEntries(
    [...samples].map(([key, ms]) => {
      const sorted = [...ms].sort((a, b) => a - b);
      return [
        key,
        {
          calls: sorted.length,
          p50Ms: quantile(sorted, 0.5),
          p99Ms: quantile(sorted, 0.99),
          callsPerSecond: sorted.length / (sorted.reduce((sum, x) => sum + x, 0) / 1000),
        },
      ];
    }),
  );
}

/** `purgeSessions` (what `kit prune` runs) of `rows` expired sessions, rounds alternating. */
async function measurePurge(sides: Side[], rows: number) {
  const results = new Map<string, { deleted: number; seconds: number }[]>();
  for (let round = 0; round < PURGE_ROUNDS; round++) {
    for (const batchSize of PURGE_BATCH_SIZES) {
      for (const side of sides) {
        await seedSessions(side.orm, rows, 'expired');
        await execute(side.orm, 'analyze kit_sessions');
        const store = createMikroOrmStore({ orm: side.orm });
        const start = performance.now();
        const deleted = await purgeSessions(store, { before: new Date(), batchSize });
        const seconds = (performance.now() - start) / 1000;
        if (deleted < rows)
          throw new Error(`the purge on ${side.key} deleted ${deleted} of ${rows} sessions`);
        const key = `${side.key}@${batchSize}`;
        results.set(key, [...(results.get(key) ?? []), { deleted, seconds }]);
      }
    }
  }
  return Object.fromEntries(
    [...results].map(([key, runs]) => {
      const deleted = runs.reduce((sum, r) => sum + r.deleted, 0);
      const seconds = runs.reduce((sum, r) => sum + r.seconds, 0);
      return [
        key,
        { rounds: runs.length, deleted, seconds, rowsPerSecond: deleted / seconds, perRound: runs },
      ];
    }),
  );
}

function tokenRow(v: Variant) {
  const r = combine(v.windows);
  const machineMicros = r.machineCpuCores === null ? null : (r.machineCpuCores / r.opsPerSecond) * 1e6;
  const { databaseSeconds, workerSeconds, voluntary, involuntary } = v.totals;
  return {
    name: v.name,
    requestsPerSecond: r.opsPerSecond,
    p50Ms: r.latencyMs.p50,
    p99Ms: r.latencyMs.p99,
    serverCpuMicrosPerRefresh: r.processCpuMicrosPerOp,
    generatorCpuMicrosPerRefresh: r.generatorCpuMicrosPerOp ?? null,
    machineCpuMicrosPerRefresh: machineMicros,
    databaseCpuMicrosPerRefresh: databaseSeconds === null ? null : (databaseSeconds / r.operations) * 1e6,
    /** Of which the Citus workers' backends (0 on plain PostgreSQL). */
    workerCpuMicrosPerRefresh: databaseSeconds === null ? null : (workerSeconds / r.operations) * 1e6,
    serverVoluntarySwitchesPerRefresh: voluntary / r.operations,
    serverInvoluntarySwitchesPerRefresh: involuntary / r.operations,
    serverEventLoopUtilization: r.eventLoopUtilization,
    result: r,
  };
}

async function main(): Promise<void> {
  const citusUrl = process.env.CITUS_URL;
  if (!citusUrl) {
    console.log(
      'citus: skipped: CITUS_URL is unset (set it to a running Citus coordinator, e.g. postgres://postgres@127.0.0.1:9700/postgres)',
    );
    return;
  }
  const benchSeconds = positiveEnv('BENCH_SECONDS', 10);
  const warmupSeconds = positiveEnv('BENCH_WARMUP_SECONDS', 1);
  const rounds = Math.max(1, Math.round(positiveEnv('BENCH_ROUNDS', 5)));
  const purgeRows = Math.round(positiveEnv('BENCH_PURGE_ROWS', 50_000));
  const revokedRows = Math.round(positiveEnv('BENCH_REVOKED_ROWS', 1000));
  const activeRows = Math.round(positiveEnv('BENCH_ACTIVE_ROWS', 50_000));

  const closers: (() => Promise<unknown>)[] = [];
  const cleanUp = async () => {
    for (const close of closers.splice(0).reverse()) {
      await close().catch((error: unknown) => log(`clean-up failed: ${String(error)}`));
    }
  };
  process.once('SIGINT', () => {
    log('interrupted, cleaning up');
    void cleanUp().finally(() => process.exit(130));
  });
  try {
    const plainDb = await openBenchDatabase(log);
    closers.push(() => plainDb.close());
    const citusDb = await openCitusBenchDatabase(citusUrl, log);
    closers.push(() => citusDb.close());
    const sides: Side[] = [];
    for (const [key, db] of [
      ['plain', plainDb],
      ['citus', citusDb],
    ] as const) {
      const orm = await createKitOrm({ databaseUrl: db.url, poolSize: POOL_SIZE });
      closers.push(() => orm.close());
      await migrate(orm);
      sides.push({ key, db, orm });
    }
    const [plain, citus] = sides as [Side, Side];

    // 1: POST /token.
    const totals = (): Variant['totals'] => ({
      databaseSeconds: 0,
      workerSeconds: 0,
      voluntary: 0,
      involuntary: 0,
    });
    const variants: Variant[] = [
      {
        key: 'plain',
        name: 'plain PostgreSQL, store defaults (grouping on)',
        side: plain,
        windows: [],
        totals: totals(),
      },
      {
        key: 'plain-single',
        name: 'plain PostgreSQL, rotationBatchSize 1',
        side: plain,
        rotationBatchSize: 1,
        windows: [],
        totals: totals(),
      },
      {
        key: 'citus',
        name: 'Citus, store defaults (grouping off)',
        side: citus,
        windows: [],
        totals: totals(),
      },
      {
        key: 'citus-prepared',
        name: 'Citus, preparedStatements: true',
        side: citus,
        preparedStatements: true,
        windows: [],
        totals: totals(),
      },
      {
        key: 'citus-grouped',
        name: 'Citus, rotationBatchSize 64 (forced)',
        side: citus,
        rotationBatchSize: 64,
        windows: [],
        totals: totals(),
      },
    ];
    const generator: Generator = await startChild('./load-process.ts', 'load generator', {});
    try {
      await measureToken(variants, generator, { rounds, benchSeconds, warmupSeconds });
    } finally {
      await generator.stop();
      for (const v of variants) await v.server?.stop();
    }
    const token = Object.fromEntries(variants.map((v) => [v.key, tokenRow(v)]));

    // 2: the revocation list.
    log(`seeding ${activeRows} active and ${revokedRows} revoked sessions on each side`);
    for (const side of sides) {
      await seedSessions(side.orm, activeRows, 'active');
      await seedSessions(side.orm, revokedRows, 'revoked');
      await execute(side.orm, 'analyze kit_sessions');
    }
    log(`measuring listRevoked (${LIST_ROUNDS} alternating rounds of ${LIST_CALLS_PER_ROUND} calls)`);
    const listRevoked = await measureListRevoked(sides, revokedRows);

    // 3: the purge.
    log(`measuring the purge of ${purgeRows} expired sessions (${PURGE_ROUNDS} alternating rounds)`);
    const purge = await measurePurge(sides, purgeRows);

    const report = {
      date: new Date().toISOString(),
      settings: { benchSeconds, warmupSeconds, rounds, poolSize: POOL_SIZE, connections: connections },
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version },
      databases: Object.fromEntries(
        sides.map((s) => [s.key, { source: s.db.source, version: s.db.version, settings: s.db.settings }]),
      ),
      token,
      listRevoked: { activeRows, revokedRows, ...listRevoked },
      purge: { rowsPerRound: purgeRows, ...purge },
    };

    const f = (x: number | null, digits = 0) => (x === null ? '-' : x.toFixed(digits));
    const lines = [
      `POST /token, ${connections} connections chaining sessions, ${rounds} alternating rounds, ${benchSeconds} s each`,
      '  variant                                          req/s   p50 ms   p99 ms   CPU µs/refresh: server  database (workers)  machine   server switches/refresh',
      ...variants.map((v) => {
        const t = token[v.key]!;
        return `  ${v.name.padEnd(47)} ${f(t.requestsPerSecond).padStart(6)} ${f(t.p50Ms, 1).padStart(8)} ${f(t.p99Ms, 1).padStart(8)} ${f(t.serverCpuMicrosPerRefresh).padStart(23)} ${f(t.databaseCpuMicrosPerRefresh).padStart(9)} ${`(${f(t.workerCpuMicrosPerRefresh)})`.padStart(9)} ${f(t.machineCpuMicrosPerRefresh).padStart(8)}   ${f(t.serverVoluntarySwitchesPerRefresh, 1)} voluntary, ${f(t.serverInvoluntarySwitchesPerRefresh, 2)} preempted`;
      }),
      `listRevoked: ${revokedRows} revoked among ${activeRows + revokedRows} sessions, one caller, ${LIST_ROUNDS * LIST_CALLS_PER_ROUND} calls each`,
      ...sides.map((s) => {
        const l = listRevoked[s.key]!;
        return `  ${s.key.padEnd(6)} p50 ${f(l.p50Ms, 2)} ms  p99 ${f(l.p99Ms, 2)} ms  ${f(l.callsPerSecond)} calls/s`;
      }),
      `purge (purgeSessions): ${purgeRows} expired sessions, ${PURGE_ROUNDS} alternating rounds, batches of ${PURGE_BATCH_SIZES.join(' and ')}`,
      ...Object.entries(purge).map(
        ([key, p]) =>
          `  ${key.padEnd(12)} ${f(p.rowsPerSecond)} rows/s (${p.deleted} rows in ${f(p.seconds, 1)} s)`,
      ),
    ];
    console.log(lines.join('\n'));
    const dir = new URL('../results/', import.meta.url);
    mkdirSync(dir, { recursive: true });
    const file = new URL('citus-latest.json', dir);
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`\nresults written to ${file.pathname}`);
  } finally {
    await cleanUp();
  }
}

await main();
