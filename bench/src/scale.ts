/**
 * `pnpm --filter @kit/bench scale`: what the kit costs PostgreSQL, in statements, rows, WAL bytes
 * and table size, on a `kit_sessions` table of a million sessions. Prints tables and writes every
 * figure, with the machine and server settings, to `bench/results/scale.json`.
 *
 * 1. Fills `kit_sessions` with `SCALE_SESSIONS` rows (one `insert ... select generate_series` per
 *    100,000 rows, realistic column values) and reports the table's and each index's size.
 * 2. Measures, one operation after another, what each of the kit's operations costs: login
 *    (`kit.createSession`), `kit.refresh` (normal path and grace retry), the rotation statement
 *    alone (`store.rotate`), the grouped rotation statement at 16 sessions per statement, refreshes
 *    from 16 concurrent callers, revoke, revoke-all, list, and a shared rate-limit hit. Per
 *    operation: statements sent, rows inserted/updated/deleted (and how many updates were HOT),
 *    index scans, WAL bytes and full-page images, commit records.
 * 3. Rotates a sample of the sessions ten times over and reports the sizes after each round: HOT
 *    updates keep the table and its indexes flat.
 * 4. Purges the expired sessions with `kit.sessions.purgeExpired({ retain: '7d' })` (20% of the
 *    rows), then with two kits purging at once (two instances' pruners).
 *
 * Full-page images: after a checkpoint, the first change to each page writes the whole page to the
 * WAL. The run checkpoints once after generating the table; the rotation figures are measured on a
 * second pass over the same sessions (the first pass, not measured, takes the images), so they show
 * the steady cost, and the first HOT round shows what the images add. On a busy server another
 * checkpoint may begin during a figure; a rotation figure that shows full-page images is then
 * measured again (up to three times, the count is reported).
 *
 * Statements are counted on the kit's own `pg` connections; rows from `pg_stat_user_tables` of the
 * run's own database; WAL from `pg_walinspect`, keeping only records that touch the kit's tables
 * (and their transactions' commit records), so other databases on a shared server do not count.
 * Times are wall-clock and only indicative on a shared machine; the counts are exact.
 *
 * Environment:
 * - `DATABASE_URL`: the server to use (a fresh `kit_bench_<random>` database is created on it and
 *   dropped at the end). Unset: an embedded PostgreSQL is started and stopped.
 * - `SCALE_SESSIONS` (default 1,000,000): sessions generated.
 * - `SCALE_OPS` (default 512): operations measured per figure (rounded down to a multiple of 16).
 * - `SCALE_HOT_SAMPLE` (default 1% of the sessions, at most 5,000) and `SCALE_HOT_ROUNDS`
 *   (default 10): sessions rotated per round, and rounds. Each sampled session is rotated once per
 *   round, so its page receives more new row versions than its free space holds: the rounds stay
 *   HOT only because PostgreSQL prunes the dead versions on the page.
 */

import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type AuthKit,
  createAuthKit,
  generateSecret,
  generateSigningKeys,
  importSigningKeys,
  type SessionStore,
  type SigningKeySet,
} from '@kit/core';
import {
  createKitOrm,
  createMikroOrmRateLimitStore,
  createMikroOrmStore,
  migrate,
} from '@kit/core/mikro-orm';
import type { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import { openBenchDatabase, withClient } from './database.ts';
import { quantile } from './quantile.ts';
import {
  counterDelta,
  enableWalInspect,
  flushedLsn,
  logStatements,
  type RelationSizes,
  relationFiles,
  relationSizes,
  type StatementLog,
  serverWalBytes,
  settledCounters,
  type TableCounters,
  type WalUse,
  walUse,
} from './scale-probes.ts';

function intEnv(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw.replace(/_/g, ''));
  if (!Number.isInteger(value) || value < min)
    throw new Error(`${name} must be a whole number of at least ${min}.`);
  return value;
}

const SESSIONS = intEnv('SCALE_SESSIONS', 1_000_000, 10_000);
const OPS = Math.floor(intEnv('SCALE_OPS', 512, 64) / 16) * 16;
const HOT_SAMPLE = intEnv('SCALE_HOT_SAMPLE', Math.min(5000, Math.floor(SESSIONS * 0.01)), 64);
/** A steady-state figure is measured again (at most this many times) when a checkpoint began in it. */
const STEADY_ATTEMPTS = 3;
const HOT_ROUNDS = intEnv('SCALE_HOT_ROUNDS', 10, 1);
/** Sessions per grouped statement in the per-operation figure. */
const GROUP = 16;
/** Sessions per grouped statement in the HOT rounds: the store's default `rotationBatchSize`. */
const HOT_GROUP = 64;
const CONCURRENT_CALLERS = 16;
const INSERT_CHUNK = 100_000;
const IDLE_TTL_MS = 30 * 86_400_000;
/** Average sessions per user in the generated table. */
const SESSIONS_PER_USER = 4;

const here = dirname(fileURLToPath(import.meta.url));
const RESULT_FILE = join(here, '..', 'results', 'scale.json');

const log = (line: string) => process.stderr.write(`[scale] ${line}\n`);

/** User agents of common browsers, 70 to 140 characters, as a session row would hold them. */
const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36',
];

const userIdOf = (index: number) => `user_${index.toString(16).padStart(8, '0')}`;

/**
 * One chunk of generated sessions, rows `$1` to `$2`. By `k = 37 g mod 100`, which spreads each
 * kind over every page instead of clustering it: 0–19 idle-expired 8 to 30 days ago (purged with
 * `retain: '7d'`), 20–29 idle-expired 2 to 6 days ago (kept with 7 days of retention, purged with
 * one day), 30 revoked in the last 5 days, the rest (69%) active, refreshed in the last 5 days. Every
 * row: a random v4 uuid, `user_%08x` with about four sessions per user, client `default`, one of
 * five browser user agents, an IPv4 address (85%) or an IPv6 one, data `{}`, a generation up to
 * 500 and a 32-byte secret hash.
 */
const GENERATE_SQL = `insert into kit_sessions (id, user_id, client_id, created_at, last_refreshed_at,
    idle_expires_at, absolute_expires_at, revoked_at, revoked_reason, user_agent, ip, data, generation,
    secret_hash, rotated_at)
  select id, user_id, 'default', created_at, refreshed_at,
    least(refreshed_at + interval '30 days', created_at + interval '90 days'),
    created_at + interval '90 days',
    revoked_at, case when revoked_at is null then null else 'logout' end,
    user_agent, ip, '{}'::jsonb, generation, sha256(uuid_send(id)),
    case when generation > 0 then refreshed_at end
  from (
    select id, user_id, refreshed_at, refreshed_at - random() * interval '20 days' as created_at,
      case when revoked then refreshed_at + random() * (now() - refreshed_at) end as revoked_at,
      user_agent, ip, generation
    from (
      select gen_random_uuid() as id,
        'user_' || lpad(to_hex(g % $3), 8, '0') as user_id,
        case when k < 20 then now() - interval '38 days' - random() * interval '22 days'
             when k < 30 then now() - interval '32 days' - random() * interval '4 days'
             else now() - random() * interval '5 days' end as refreshed_at,
        k = 30 as revoked,
        ($4::text[])[1 + g % array_length($4::text[], 1)] as user_agent,
        case when g % 7 = 0
          then format('2001:db8:%s:%s::%s', to_hex((random() * 65535)::int), to_hex((random() * 65535)::int),
            to_hex((random() * 65535)::int))
          else format('%s.%s.%s.%s', 1 + (random() * 222)::int, (random() * 255)::int, (random() * 255)::int,
            1 + (random() * 253)::int) end as ip,
        (random() * 500)::int as generation
      from generate_series($1::int, $2::int) g, lateral (select (g::bigint * 37) % 100 as k) kind
    ) raw
  ) s`;

interface Chain {
  id: string;
  generation: number;
  hash: Buffer;
}

interface OpenKit {
  orm: MikroORM;
  kit: AuthKit;
  store: SessionStore;
  close(): Promise<void>;
}

/** One measured phase: totals over `operations` operations. */
interface Phase {
  name: string;
  description: string;
  table: string;
  operations: number;
  statements: number;
  statementKinds: Record<string, number>;
  /** Wall-clock seconds; indicative only. */
  seconds: number;
  rows: TableCounters;
  /** `null` when pg_walinspect is unavailable. */
  wal: WalUse | null;
  /** WAL the whole server wrote meanwhile, every database included: an upper bound. */
  serverWalBytes: number;
  extra?: Record<string, unknown>;
  /** Measurements made for a steady-state figure (more than one: a checkpoint began in one). */
  attempts?: number;
}

interface Context {
  url: string;
  monitor: pg.Client;
  files: Map<string, string[]>;
  walInspect: boolean;
  statements: StatementLog | undefined;
  keys: SigningKeySet;
  secret: string;
}

/** A kit on a pool of its own; `clock` freezes its time (the purge figures count against it). */
async function openKit(ctx: Context, poolSize = 1, clock?: () => number): Promise<OpenKit> {
  // A generous timeout: on a loaded machine a slow statement must not turn a figure into a failure.
  const orm = await createKitOrm({ databaseUrl: ctx.url, poolSize, timeoutMs: 30_000 });
  const store = createMikroOrmStore({ orm });
  const kit = await createAuthKit({
    issuer: 'https://auth.scale.test',
    audience: 'https://api.scale.test',
    secret: ctx.secret,
    signingKeys: ctx.keys,
    store,
    // Long enough for the grace figure to retry tokens rotated a few seconds earlier.
    reuseGrace: 120,
    ...(clock ? { clock } : {}),
  });
  ctx.statements ??= await logStatements(orm);
  // Open the pool's connections before anything is measured.
  await Promise.all(
    Array.from({ length: poolSize }, () => orm.em.getConnection().execute('select pg_sleep(0.02)')),
  );
  return {
    orm,
    kit,
    store,
    async close() {
      await kit.close();
      await orm.close(true);
    },
  };
}

/** Runs `use` on a kit of its own, then closes its connections. */
async function withKit<T>(ctx: Context, use: (k: OpenKit) => Promise<T>): Promise<T> {
  const k = await openKit(ctx);
  try {
    return await use(k);
  } finally {
    await k.close();
  }
}

interface PhaseSpec {
  name: string;
  description: string;
  table?: string;
  /** When the table's counters include the phase's work (backends report asynchronously). */
  ready?: (delta: TableCounters, operations: number) => boolean;
}

interface PhaseRun {
  operations: number;
  /** Statements sent outside the kit (raw `pg`); otherwise the kit's are counted. */
  statements?: number;
  statementKinds?: Record<string, number>;
  extra?: Record<string, unknown>;
  /** Closes the phase's connections (not timed); their backends then report their counts. */
  close?: () => Promise<void>;
}

async function measure(ctx: Context, spec: PhaseSpec, run: () => Promise<PhaseRun>): Promise<Phase> {
  const table = spec.table ?? 'kit_sessions';
  const base = await settledCounters(ctx.monitor, table);
  const from = await flushedLsn(ctx.monitor);
  ctx.statements?.reset();
  const started = performance.now();
  const result = await run();
  const seconds = (performance.now() - started) / 1000;
  const kitStatements = ctx.statements?.sent.length ?? 0;
  const kitKinds = ctx.statements?.kinds() ?? {};
  await result.close?.();
  const to = await flushedLsn(ctx.monitor);
  const after = await settledCounters(ctx.monitor, table, {
    base,
    ready: spec.ready ? (delta) => spec.ready!(delta, result.operations) : undefined,
  });
  log(`${spec.name}: ran in ${seconds.toFixed(2)} s; reading its WAL`);
  const wal = ctx.walInspect ? await walUse(ctx.monitor, from, to, ctx.files.get(table) ?? []) : null;
  const phase: Phase = {
    name: spec.name,
    description: spec.description,
    table,
    operations: result.operations,
    statements: result.statements ?? kitStatements,
    statementKinds: result.statementKinds ?? kitKinds,
    seconds,
    rows: counterDelta(base, after),
    wal,
    serverWalBytes: await serverWalBytes(ctx.monitor, from, to),
    ...(result.extra ? { extra: result.extra } : {}),
  };
  log(
    `${spec.name}: ${phase.operations} ops, ${phase.statements} statements, ${seconds.toFixed(2)} s` +
      (wal ? `, WAL ${wal.bytes} B (${wal.fpiRecords} full-page images)` : ''),
  );
  return phase;
}

/**
 * {@link measure} for a steady-state figure: when full-page images show that a checkpoint began
 * during it, the figure is measured again on the same sessions (whose pages now hold their images).
 */
async function measureSteady<S>(
  ctx: Context,
  spec: PhaseSpec,
  setup: () => Promise<S>,
  run: (resources: S) => Promise<PhaseRun>,
): Promise<Phase> {
  for (let attempt = 1; ; attempt++) {
    const resources = await setup();
    const phase = await measure(ctx, spec, () => run(resources));
    if (!phase.wal || phase.wal.fpiRecords === 0 || attempt === STEADY_ATTEMPTS) {
      return { ...phase, attempts: attempt };
    }
    log(`${spec.name}: ${phase.wal.fpiRecords} full-page images, a checkpoint began; measuring again`);
  }
}

/** A rotation input for a generated session: its current hash, a random successor hash. */
function rotateInput(chain: Chain) {
  const now = new Date();
  return {
    id: chain.id,
    generation: chain.generation,
    secretHash: chain.hash,
    nextSecretHash: randomBytes(32),
    now,
    idleExpiresAt: new Date(now.getTime() + IDLE_TTL_MS),
  };
}

/** Rotates each chain once through the kit's store, one caller: one statement per rotation. */
async function rotateEach(store: SessionStore, chains: Chain[]): Promise<void> {
  for (const chain of chains) {
    const input = rotateInput(chain);
    if (!(await store.rotate(input))) throw new Error('A rotation did not match its session.');
    chain.generation += 1;
    chain.hash = Buffer.from(input.nextSecretHash);
  }
}

/** Runs the kit's grouped rotation statement (text captured from the kit) for `chains`, in groups. */
async function rotateGrouped(
  client: pg.Client,
  sql: string,
  chains: Chain[],
  group: number,
): Promise<number> {
  let statements = 0;
  for (let start = 0; start < chains.length; start += group) {
    // Sorted by id, as the kit sends them (row locks taken in one order).
    const batch = chains.slice(start, start + group).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const now = new Date();
    const next = batch.map(() => randomBytes(32));
    const result = await client.query({
      name: 'kit_rotate_sessions',
      text: sql,
      values: [
        batch.map((c) => c.id),
        batch.map((c) => c.generation),
        batch.map((c) => c.hash),
        next,
        batch.map(() => now),
        batch.map(() => new Date(now.getTime() + IDLE_TTL_MS)),
        batch.map(() => null),
        batch.map(() => null),
      ],
    });
    statements++;
    if (result.rowCount !== batch.length) throw new Error('A grouped rotation did not match every session.');
    for (const [index, chain] of batch.entries()) {
      chain.generation += 1;
      chain.hash = next[index]!;
    }
  }
  return statements;
}

async function explain(url: string, sql: string, values: unknown[]): Promise<string[]> {
  return withClient(url, async (client) =>
    (await client.query<{ 'QUERY PLAN': string }>(`explain (costs off) ${sql}`, values)).rows.map(
      (row) => row['QUERY PLAN'],
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// Formatting

const int = (value: number) => Math.round(value).toLocaleString('en-US');
const dec = (value: number, digits = 1) =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const mib = (bytes: number) => `${dec(bytes / 1_048_576, 1)} MiB`;

function table(head: string[], rows: string[][]): string {
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const row of rows) lines.push(`| ${row.join(' | ')} |`);
  return lines.join('\n');
}

function perOperation(phase: Phase) {
  const n = phase.operations;
  const wal = phase.wal;
  return {
    statements: phase.statements / n,
    inserted: phase.rows.inserted / n,
    updated: phase.rows.updated / n,
    hotUpdated: phase.rows.hotUpdated / n,
    deleted: phase.rows.deleted / n,
    indexScans: phase.rows.indexScans / n,
    tuplesFetched: phase.rows.indexTuplesFetched / n,
    walBytes: wal ? wal.bytes / n : null,
    walBytesWithoutFpi: wal ? (wal.bytes - wal.fpiBytes) / n : null,
    fpiRecords: wal ? wal.fpiRecords / n : null,
    commits: wal ? wal.commits / n : null,
    ms: (phase.seconds * 1000) / n,
  };
}

function costTable(phases: Phase[]): string {
  return table(
    [
      'operation',
      'ops',
      'statements/op',
      'commits/op',
      'rows ins/upd (HOT)/del per op',
      'index scans/op',
      'WAL B/op excl. FPI',
      'FPI records/op',
      'WAL B/op total',
      '~ms/op',
    ],
    phases.map((phase) => {
      const p = perOperation(phase);
      return [
        phase.attempts && phase.attempts > 1 ? `${phase.name} (measurement ${phase.attempts})` : phase.name,
        int(phase.operations),
        dec(p.statements, 3),
        p.commits === null ? 'n/a' : dec(p.commits, 3),
        `${dec(p.inserted, 2)} / ${dec(p.updated, 2)} (${dec(p.hotUpdated, 2)}) / ${dec(p.deleted, 2)}`,
        dec(p.indexScans, 2),
        p.walBytesWithoutFpi === null ? 'n/a' : dec(p.walBytesWithoutFpi, 1),
        p.fpiRecords === null ? 'n/a' : dec(p.fpiRecords, 3),
        p.walBytes === null ? 'n/a' : int(p.walBytes),
        dec(p.ms, 3),
      ];
    }),
  );
}

function sizeRows(label: string, sizes: RelationSizes, sessions: number): string[][] {
  const rows: string[][] = [
    [`${label}: heap (main fork)`, int(sizes.heap), mib(sizes.heap), dec(sizes.heap / sessions, 1)],
    [
      `${label}: free-space and visibility maps`,
      int(sizes.maps),
      mib(sizes.maps),
      dec(sizes.maps / sessions, 1),
    ],
    [`${label}: TOAST`, int(sizes.toast), mib(sizes.toast), dec(sizes.toast / sessions, 1)],
  ];
  for (const index of sizes.indexes) {
    rows.push([
      `${label}: index ${index.name}`,
      int(index.bytes),
      mib(index.bytes),
      dec(index.bytes / sessions, 1),
    ]);
  }
  rows.push([
    `${label}: pg_indexes_size`,
    int(sizes.indexesTotal),
    mib(sizes.indexesTotal),
    dec(sizes.indexesTotal / sessions, 1),
  ]);
  rows.push([
    `${label}: pg_total_relation_size`,
    int(sizes.total),
    mib(sizes.total),
    dec(sizes.total / sessions, 1),
  ]);
  return rows;
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const runStarted = performance.now();
  const db = await openBenchDatabase(log);
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    const setupOrm = await createKitOrm({ databaseUrl: db.url, poolSize: 1 });
    await migrate(setupOrm);
    await setupOrm.close(true);

    const monitor = new pg.Client({ connectionString: db.url });
    await monitor.connect();
    cleanups.push(() => monitor.end());
    const walInspect = await enableWalInspect(monitor);
    if (!walInspect) log('pg_walinspect is not available: WAL is reported server-wide only');
    const extraSettings = Object.fromEntries(
      (
        await monitor.query<{ name: string; setting: string; unit: string | null }>(
          `select name, setting, unit from pg_settings where name = any($1) order by name`,
          [
            [
              'checkpoint_timeout',
              'max_wal_size',
              'wal_compression',
              'wal_log_hints',
              'data_checksums',
              'block_size',
            ],
          ],
        )
      ).rows.map((row) => [row.name, row.unit ? `${row.setting} (${row.unit})` : row.setting]),
    );

    const ctx: Context = {
      url: db.url,
      monitor,
      files: new Map([
        ['kit_sessions', await relationFiles(monitor, 'kit_sessions')],
        ['kit_rate_limits', await relationFiles(monitor, 'kit_rate_limits')],
      ]),
      walInspect,
      statements: undefined,
      keys: await importSigningKeys(await generateSigningKeys({ alg: 'ES256' })),
      secret: generateSecret(),
    };

    // 1. Generate the sessions.
    const users = Math.max(1, Math.floor(SESSIONS / SESSIONS_PER_USER));
    log(`generating ${int(SESSIONS)} sessions for ${int(users)} users`);
    const generateStarted = performance.now();
    await withClient(db.url, async (client) => {
      for (let start = 1; start <= SESSIONS; start += INSERT_CHUNK) {
        const end = Math.min(SESSIONS, start + INSERT_CHUNK - 1);
        await client.query(GENERATE_SQL, [start, end, users, USER_AGENTS]);
        log(`  ${int(end)} rows`);
      }
    });
    const generateSeconds = (performance.now() - generateStarted) / 1000;
    const vacuumStarted = performance.now();
    await withClient(db.url, (client) => client.query('vacuum (analyze) kit_sessions'));
    const vacuumSeconds = (performance.now() - vacuumStarted) / 1000;
    const generated = await withClient(db.url, async (client) => {
      const row = (
        await client.query<Record<string, string>>(
          `select count(*) as sessions,
              count(*) filter (where revoked_at is null and idle_expires_at > now() and absolute_expires_at > now()) as active,
              count(*) filter (where revoked_at is not null) as revoked,
              count(*) filter (where idle_expires_at < now() - interval '7 days') as expired_over_7d,
              avg(octet_length(user_agent)) as user_agent_bytes, avg(pg_column_size(s.*)) as row_bytes
            from kit_sessions s`,
        )
      ).rows[0]!;
      return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Number(v)]));
    });
    const sizesGenerated = await relationSizes(monitor, 'kit_sessions');
    log(
      `generated in ${generateSeconds.toFixed(1)} s, vacuum ${vacuumSeconds.toFixed(1)} s: ${mib(sizesGenerated.total)}`,
    );

    // A known starting point for full-page images: every page's first change after this logs it.
    // (Needs superuser or pg_checkpoint; without it the run goes on from the server's last one.)
    await monitor.query('checkpoint').catch(() => log('could not run checkpoint; continuing'));
    // Keep this run's WAL until it has been read (released when the monitor disconnects).
    let walReserved = false;
    if (walInspect) {
      try {
        await monitor.query('select pg_create_physical_replication_slot($1, true, true)', [
          `kit_scale_${randomBytes(4).toString('hex')}`,
        ]);
        walReserved = true;
      } catch {
        log('could not reserve WAL with a temporary slot; a checkpoint during a phase may hide its WAL');
      }
    }

    // Samples of active generated sessions, in random order. Users chosen for list and revoke-all
    // are kept out of the rotation samples, so no rotation meets a session revoked meanwhile.
    const chosenUsers = new Set<number>();
    while (chosenUsers.size < Math.min(OPS, users)) chosenUsers.add(Math.floor(Math.random() * users));
    const listUsers = [...chosenUsers].map(userIdOf);
    const sampleSize = OPS * 2 + 4 + HOT_SAMPLE;
    const sample: Chain[] = await withClient(db.url, async (client) =>
      (
        await client.query<{ id: string; generation: number; secret_hash: Buffer }>(
          `select id, generation, secret_hash from kit_sessions
            where revoked_at is null and idle_expires_at > now() + interval '1 day' and user_id <> all($2)
            order by random() limit $1`,
          [sampleSize, listUsers],
        )
      ).rows.map((row) => ({ id: row.id, generation: row.generation, hash: row.secret_hash })),
    );
    if (sample.length < sampleSize)
      throw new Error('Not enough active sessions for the samples: raise SCALE_SESSIONS.');
    const singleChains = sample.slice(0, OPS);
    const groupedChains = sample.slice(OPS, OPS * 2);
    const captureChains = sample.slice(OPS * 2, OPS * 2 + 4);
    const hotChains = sample.slice(OPS * 2 + 4);

    const phases: Phase[] = [];
    const updatedAll = (d: TableCounters, n: number) => d.updated >= n;

    // 2. Per-operation costs.
    const logins: { id: string; token: string; previous?: string; userAgent: string; ip: string }[] = [];
    {
      const k = await openKit(ctx);
      phases.push(
        await measure(
          ctx,
          {
            name: 'login (kit.createSession)',
            description: 'kit.createSession with a user agent and an IP address, data {}; one insert',
            ready: (d, n) => d.inserted >= n,
          },
          async () => {
            for (let i = 0; i < OPS; i++) {
              const userAgent = USER_AGENTS[i % USER_AGENTS.length]!;
              const ip = `203.0.113.${i % 250}`;
              const tokens = await k.kit.createSession({ userId: `login_${i}`, userAgent, ip });
              logins.push({ id: tokens.session.id, token: tokens.refreshToken, userAgent, ip });
            }
            return { operations: OPS, close: k.close };
          },
        ),
      );
    }
    // First refresh of every session, not measured: it takes the pages' full-page images and
    // sets rotated_at for the first time; the measured pass is the steady state. Warm passes run
    // on connections closed before the measurement, so their counts are reported outside it.
    await withKit(ctx, async (warm) => {
      for (const login of logins) {
        const next = await warm.kit.refresh(login.token, { userAgent: login.userAgent, ip: login.ip });
        login.token = next.refreshToken;
      }
    });
    phases.push(
      await measureSteady(
        ctx,
        {
          name: 'kit.refresh (normal path)',
          description: 'kit.refresh of the current token, one caller: the rotation statement, ES256 signing',
          ready: updatedAll,
        },
        () => openKit(ctx),
        async (k) => {
          for (const login of logins) {
            const next = await k.kit.refresh(login.token, { userAgent: login.userAgent, ip: login.ip });
            login.previous = login.token;
            login.token = next.refreshToken;
          }
          return { operations: logins.length, close: k.close };
        },
      ),
    );
    {
      const k = await openKit(ctx);
      const retries = logins.slice(0, OPS / 4);
      phases.push(
        await measure(
          ctx,
          {
            name: 'kit.refresh (grace retry)',
            description:
              'kit.refresh of the token just replaced, within reuseGrace: the rotation finds nothing, a read, a conditional touch',
            ready: updatedAll,
          },
          async () => {
            for (const login of retries) {
              const again = await k.kit.refresh(login.previous!, {
                userAgent: login.userAgent,
                ip: login.ip,
              });
              if (again.refreshToken !== login.token)
                throw new Error('The grace retry did not return the current token.');
            }
            return { operations: retries.length, close: k.close };
          },
        ),
      );
    }
    await withKit(ctx, (warm) => rotateEach(warm.store, singleChains)); // warm pass, not measured
    phases.push(
      await measureSteady(
        ctx,
        {
          name: 'rotation statement alone (store.rotate)',
          description:
            "the kit store's compare-and-set UPDATE for one session, one caller, random sessions of the large table",
          ready: updatedAll,
        },
        () => openKit(ctx),
        async (k) => {
          await rotateEach(k.store, singleChains);
          return { operations: singleChains.length, close: k.close };
        },
      ),
    );

    // The grouped statement's text, as the kit sends it: four rotations at once through a pool of
    // one connection make the store send two alone and the other two together.
    let groupedSql: string;
    {
      const k = await openKit(ctx);
      ctx.statements!.reset();
      await Promise.all(
        captureChains.map(async (chain) => {
          const input = rotateInput(chain);
          if (!(await k.store.rotate(input))) throw new Error('A rotation did not match its session.');
          chain.generation += 1;
          chain.hash = Buffer.from(input.nextSecretHash);
        }),
      );
      const text = ctx.statements!.texts.get('kit_rotate_sessions');
      await k.close();
      if (!text)
        throw new Error('The kit did not send its grouped rotation statement (kit_rotate_sessions).');
      groupedSql = text;
    }
    // Warm pass, not measured.
    await withClient(db.url, (warm) => rotateGrouped(warm, groupedSql, groupedChains, GROUP));
    phases.push(
      await measureSteady(
        ctx,
        {
          name: `grouped rotation statement, ${GROUP} per statement`,
          description: `the kit's grouped compare-and-set (text captured from the kit), ${GROUP} random sessions per statement, through pg`,
          ready: updatedAll,
        },
        async () => {
          const client = new pg.Client({ connectionString: db.url });
          await client.connect();
          return client;
        },
        async (client) => {
          const statements = await rotateGrouped(client, groupedSql, groupedChains, GROUP);
          return {
            operations: groupedChains.length,
            statements,
            statementKinds: { kit_rotate_sessions: statements },
            close: () => client.end(),
          };
        },
      ),
    );
    {
      const perCaller = Math.floor(OPS / CONCURRENT_CALLERS);
      const tokens = await withKit(ctx, (setup) =>
        Promise.all(
          Array.from(
            { length: CONCURRENT_CALLERS },
            async (_, i) => (await setup.kit.createSession({ userId: `concurrent_${i}` })).refreshToken,
          ),
        ),
      );
      phases.push(
        await measureSteady(
          ctx,
          {
            name: `kit.refresh, ${CONCURRENT_CALLERS} concurrent callers`,
            description: `${CONCURRENT_CALLERS} callers each chaining its own session, pool of ${CONCURRENT_CALLERS}: the store groups rotations that queue up`,
            ready: updatedAll,
          },
          () => openKit(ctx, CONCURRENT_CALLERS),
          async (k) => {
            await Promise.all(
              tokens.map(async (_, caller) => {
                for (let i = 0; i < perCaller; i++) {
                  tokens[caller] = (await k.kit.refresh(tokens[caller]!)).refreshToken;
                }
              }),
            );
            return { operations: perCaller * CONCURRENT_CALLERS, close: k.close };
          },
        ),
      );
    }
    {
      const k = await openKit(ctx);
      phases.push(
        await measure(
          ctx,
          {
            name: 'revoke (kit.sessions.revoke)',
            description:
              'kit.sessions.revoke(id): one UPDATE setting revoked_at, which the partial index covers',
            ready: updatedAll,
          },
          async () => {
            for (const login of logins) {
              if (!(await k.kit.sessions.revoke(login.id))) throw new Error('A revoke found nothing.');
            }
            return { operations: logins.length, close: k.close };
          },
        ),
      );
    }
    {
      const k = await openKit(ctx);
      phases.push(
        await measure(
          ctx,
          {
            name: 'list (kit.sessions.list)',
            description: `kit.sessions.list(userId), active sessions of users with about ${SESSIONS_PER_USER} sessions`,
            ready: (d, n) => d.indexScans >= n,
          },
          async () => {
            let listed = 0;
            for (const user of listUsers) listed += (await k.kit.sessions.list(user)).length;
            return { operations: listUsers.length, extra: { sessionsListed: listed }, close: k.close };
          },
        ),
      );
    }
    {
      const k = await openKit(ctx);
      const revokeUsers = listUsers.slice(0, Math.max(1, Math.floor(listUsers.length / 4)));
      let revoked = 0;
      phases.push(
        await measure(
          ctx,
          {
            name: 'revoke all (kit.sessions.revokeAll)',
            description: "kit.sessions.revokeAll(userId): one UPDATE of the user's unrevoked sessions",
            ready: (d) => d.updated >= revoked,
          },
          async () => {
            for (const user of revokeUsers) revoked += (await k.kit.sessions.revokeAll(user)).length;
            return { operations: revokeUsers.length, extra: { sessionsRevoked: revoked }, close: k.close };
          },
        ),
      );
    }
    {
      const k = await openKit(ctx);
      const limits = createMikroOrmRateLimitStore({ orm: k.orm });
      const keys = Array.from({ length: 50 }, (_, i) => `token:198.51.100.${i}`);
      phases.push(
        await measure(
          ctx,
          {
            name: 'rate-limit hit (shared store)',
            description:
              'createMikroOrmRateLimitStore().hit, 50 client keys, one window: 50 inserts, then updates',
            table: 'kit_rate_limits',
            ready: (d, n) => d.inserted + d.updated >= n,
          },
          async () => {
            const now = Date.now();
            for (let i = 0; i < OPS; i++) await limits.hit(keys[i % keys.length]!, { windowMs: 60_000, now });
            return { operations: OPS, close: k.close };
          },
        ),
      );
    }

    // 3. HOT rounds: rotate the same sample again and again; the sizes stay put.
    const hotRounds: { phase: Phase; sizes: RelationSizes }[] = [];
    const sizesBeforeHot = await relationSizes(monitor, 'kit_sessions');
    for (let round = 1; round <= HOT_ROUNDS; round++) {
      const phase = await measure(
        ctx,
        {
          name: `HOT round ${round}`,
          description: `rotate ${HOT_SAMPLE} random sessions once each, the kit's grouped statement with ${HOT_GROUP} per statement`,
          ready: updatedAll,
        },
        async () => {
          const client = new pg.Client({ connectionString: db.url });
          await client.connect();
          const statements = await rotateGrouped(client, groupedSql, hotChains, HOT_GROUP);
          return {
            operations: hotChains.length,
            statements,
            statementKinds: { kit_rotate_sessions: statements },
            close: () => client.end(),
          };
        },
      );
      hotRounds.push({ phase, sizes: await relationSizes(monitor, 'kit_sessions') });
    }

    // 4. Purge.
    // Counted at the same instant the purging kits' frozen clocks show.
    const eligible = async (retainDays: number, at: number) =>
      withClient(db.url, async (client) =>
        Number(
          (
            await client.query<{ n: string }>(
              `select count(*) as n from kit_sessions
                where revoked_at < $1 or idle_expires_at < $1 or absolute_expires_at < $1`,
              [new Date(at - retainDays * 86_400_000)],
            )
          ).rows[0]!.n,
        ),
      );
    const sizesBeforePurge = await relationSizes(monitor, 'kit_sessions');
    const rowsBeforePurge = await withClient(db.url, async (client) =>
      Number((await client.query<{ n: string }>('select count(*) as n from kit_sessions')).rows[0]!.n),
    );
    const purgeAt = Date.now();
    const purgeEligible = await eligible(7, purgeAt);
    let purgeBatches: { ms: number; scanned: number; deleted: number }[] = [];
    let purgeSql = '';
    let purgeDeleted = 0;
    const purge = await (async () => {
      const k = await openKit(ctx, 1, () => purgeAt);
      return measure(
        ctx,
        {
          name: "purge (kit.sessions.purgeExpired({ retain: '7d' }))",
          description: `one kit purging ${purgeEligible} sessions that ended more than 7 days ago, batches of 1000 rows examined`,
          ready: (d) => d.deleted >= purgeDeleted,
        },
        async () => {
          purgeDeleted = await k.kit.sessions.purgeExpired({ retain: '7d' });
          purgeBatches = ctx.statements!.sent.map((s) => ({
            ms: s.ms ?? Number.NaN,
            scanned: Number(s.firstRow?.scanned ?? 0),
            deleted: Number(s.firstRow?.deleted ?? 0),
          }));
          purgeSql = ctx.statements!.texts.get('with … delete') ?? '';
          return { operations: purgeDeleted, extra: { eligible: purgeEligible }, close: k.close };
        },
      );
    })();
    phases.push(purge);
    const sizesAfterPurge = await relationSizes(monitor, 'kit_sessions');
    const vacuumAfterPurgeStarted = performance.now();
    await withClient(db.url, (client) => client.query('vacuum kit_sessions'));
    const vacuumAfterPurgeSeconds = (performance.now() - vacuumAfterPurgeStarted) / 1000;
    const sizesAfterVacuum = await relationSizes(monitor, 'kit_sessions');

    const concurrentAt = Date.now();
    const concurrentEligible = await eligible(1, concurrentAt);
    let concurrentDeleted: number[] = [];
    const concurrentPurge = await (async () => {
      const a = await openKit(ctx, 1, () => concurrentAt);
      const b = await openKit(ctx, 1, () => concurrentAt);
      return measure(
        ctx,
        {
          name: "two kits purging at once (retain: '1d')",
          description: `two kits (two instances' pruners) purging the same ${concurrentEligible} sessions at the same time`,
          ready: (d) => d.deleted >= concurrentDeleted.reduce((x, y) => x + y, 0),
        },
        async () => {
          concurrentDeleted = await Promise.all([
            a.kit.sessions.purgeExpired({ retain: '1d' }),
            b.kit.sessions.purgeExpired({ retain: '1d' }),
          ]);
          const total = concurrentDeleted.reduce((x, y) => x + y, 0);
          return {
            operations: total,
            extra: { eligible: concurrentEligible, deletedByEach: concurrentDeleted },
            close: async () => {
              await a.close();
              await b.close();
            },
          };
        },
      );
    })();
    phases.push(concurrentPurge);

    // Plans of the three statements that touch many or any rows, on the large table.
    const plans = {
      rotate: await explain(db.url, ctx.statements!.texts.get('kit_rotate_session') ?? 'select 1', [
        singleChains[0]!.id,
        singleChains[0]!.generation,
        singleChains[0]!.hash,
        randomBytes(32),
        new Date(),
        new Date(Date.now() + IDLE_TTL_MS),
        null,
        null,
      ]).catch(() => []),
      rotateGrouped: await explain(
        db.url,
        groupedSql,
        (() => {
          const chains = groupedChains.slice(0, GROUP);
          const now = new Date();
          return [
            chains.map((c) => c.id),
            chains.map((c) => c.generation),
            chains.map((c) => c.hash),
            chains.map(() => randomBytes(32)),
            chains.map(() => now),
            chains.map(() => new Date(now.getTime() + IDLE_TTL_MS)),
            chains.map(() => null),
            chains.map(() => null),
          ];
        })(),
      ),
      purge: purgeSql
        ? await explain(db.url, purgeSql, [new Date(Date.now() - 7 * 86_400_000), null, 1000])
        : [],
    };

    // ---------------------------------------------------------------------------------------
    // Report.
    const costPhases = phases.filter((p) => !p.name.startsWith('purge') && !p.name.startsWith('two kits'));
    const commitRecord = (() => {
      let records = 0;
      let bytes = 0;
      for (const p of phases) {
        records += p.wal?.commits ?? 0;
        bytes += p.wal?.commitBytes ?? 0;
      }
      return records ? bytes / records : null;
    })();
    // What one full-page image of a heap page costs: the first HOT round changes each of its pages
    // for the first time since the checkpoint.
    const firstRoundWal = hotRounds[0]?.phase.wal;
    const heapImageBytes = firstRoundWal?.fpiRecords
      ? firstRoundWal.fpiBytes / firstRoundWal.fpiRecords
      : null;
    const batchMs = purgeBatches
      .map((b) => b.ms)
      .filter(Number.isFinite)
      .sort((x, y) => x - y);
    const purgeSummary = {
      eligible: purgeEligible,
      deleted: purgeDeleted,
      rowsBefore: rowsBeforePurge,
      statements: purge.statements,
      rowsExamined: purgeBatches.reduce((sum, b) => sum + b.scanned, 0),
      seconds: purge.seconds,
      batchMsMedian: quantile(batchMs, 0.5),
      batchMsP99: quantile(batchMs, 0.99),
      batchMsMax: batchMs.at(-1) ?? Number.NaN,
      walBytes: purge.wal?.bytes ?? null,
      walBytesWithoutFpi: purge.wal ? purge.wal.bytes - purge.wal.fpiBytes : null,
      fpiRecords: purge.wal?.fpiRecords ?? null,
      heapPages: sizesBeforePurge.heap / 8192,
      sizesBefore: sizesBeforePurge,
      sizesAfter: sizesAfterPurge,
      vacuumSeconds: vacuumAfterPurgeSeconds,
      sizesAfterVacuum,
      deadTuplesAfter: purge.rows.deadTuples,
    };

    const cpus = os.cpus();
    const report = {
      generatedAt: new Date().toISOString(),
      command: 'pnpm --filter @kit/bench scale',
      machine: {
        cpus: cpus.length,
        cpuModel: cpus[0]?.model ?? 'unknown',
        memoryGiB: Math.round(os.totalmem() / 2 ** 30),
        node: process.version,
        platform: `${os.platform()} ${os.release()}`,
      },
      database: {
        source: db.source,
        version: db.version,
        settings: { ...db.settings, ...extraSettings },
        walAttribution: walInspect
          ? `pg_walinspect: records touching the kit's relations in this database, plus their transactions' commit records${walReserved ? '' : ' (WAL not reserved)'}`
          : 'unavailable',
      },
      config: {
        sessions: SESSIONS,
        users,
        operationsPerFigure: OPS,
        group: GROUP,
        hotSample: HOT_SAMPLE,
        hotRounds: HOT_ROUNDS,
        hotGroup: HOT_GROUP,
        reuseGrace: 120,
      },
      generation: { seconds: generateSeconds, vacuumSeconds, ...generated },
      sizes: {
        generated: sizesGenerated,
        bytesPerSession: sizesGenerated.total / SESSIONS,
        heapRowsPerPage: SESSIONS / (sizesGenerated.heap / 8192),
        beforeHotRounds: sizesBeforeHot,
        afterHotRounds: hotRounds.map((r) => r.sizes),
      },
      commitRecordBytes: commitRecord,
      heapFullPageImageBytes: heapImageBytes,
      phases: phases.map((p) => ({ ...p, perOperation: perOperation(p) })),
      hotRounds: hotRounds.map(({ phase, sizes }) => ({
        round: phase.name,
        rotations: phase.operations,
        hotShare: phase.rows.updated ? phase.rows.hotUpdated / phase.rows.updated : null,
        heap: sizes.heap,
        indexes: sizes.indexesTotal,
        total: sizes.total,
      })),
      purge: purgeSummary,
      plans,
      totalSeconds: (performance.now() - runStarted) / 1000,
    };
    mkdirSync(dirname(RESULT_FILE), { recursive: true });
    writeFileSync(RESULT_FILE, `${JSON.stringify(report, null, 2)}\n`);

    const out: string[] = [];
    out.push(
      `kit scale: ${int(SESSIONS)} sessions, ${OPS} operations per figure; ${cpus.length} CPUs (${report.machine.cpuModel}), Node ${process.version}`,
    );
    out.push(`${db.version.split(' on ')[0]} (${db.source}); WAL: ${report.database.walAttribution}`);
    out.push('');
    out.push(
      `Generated ${int(generated.sessions!)} sessions in ${dec(generateSeconds)} s (vacuum analyze ${dec(vacuumSeconds)} s): ` +
        `${int(generated.active!)} active, ${int(generated.revoked!)} revoked, ${int(generated.expired_over_7d!)} ended more than 7 days ago; ` +
        `user agent ${dec(generated.user_agent_bytes!)} B on average, row ${dec(generated.row_bytes!)} B (pg_column_size), ` +
        `${dec(report.sizes.heapRowsPerPage)} rows per 8 KiB heap page (fillfactor 85).`,
    );
    out.push('');
    out.push(
      table(
        ['relation', 'bytes', 'size', 'bytes per session'],
        sizeRows('generated', sizesGenerated, SESSIONS),
      ),
    );
    out.push('');
    out.push(
      'Cost per operation (rows from pg_stat_user_tables; WAL from pg_walinspect; FPI = full-page image, written on the first change of a page after a checkpoint; ms are wall-clock, indicative only):',
    );
    out.push('');
    out.push(costTable(costPhases));
    out.push('');
    if (commitRecord !== null)
      out.push(`A commit record takes ${dec(commitRecord)} bytes of WAL (average over every phase).`);
    if (heapImageBytes !== null) {
      out.push(
        `A full-page image of a kit_sessions heap page takes ${int(heapImageBytes)} bytes of WAL on average (${int(firstRoundWal!.fpiRecords)} images in HOT round 1).`,
      );
    }
    out.push('');
    out.push('Statements sent, by kind:');
    for (const p of phases) out.push(`- ${p.name}: ${JSON.stringify(p.statementKinds)}`);
    out.push('');
    out.push('WAL records per operation, by type: records/op, bytes/op (of which full-page images):');
    for (const p of phases) {
      if (!p.wal) continue;
      const kinds = Object.entries(p.wal.byType).map(
        ([kind, use]) =>
          `${kind} ${dec(use.records / p.operations, 3)}, ${dec(use.bytes / p.operations)} B` +
          (use.fpiBytes ? ` (${dec(use.fpiBytes / p.operations)} B)` : ''),
      );
      out.push(`- ${p.name}: ${kinds.join('; ')}`);
    }
    out.push('');
    out.push(
      `HOT rounds: ${int(HOT_SAMPLE)} random sessions rotated once per round, ${HOT_GROUP} per statement.`,
    );
    out.push('');
    out.push(
      table(
        [
          'after',
          'rotations',
          'HOT share',
          'heap bytes',
          'index bytes',
          'total bytes',
          'WAL B/rotation',
          'FPI records/rotation',
        ],
        [
          [
            'before',
            '',
            '',
            int(sizesBeforeHot.heap),
            int(sizesBeforeHot.indexesTotal),
            int(sizesBeforeHot.total),
            '',
            '',
          ],
          ...hotRounds.map(({ phase, sizes }) => {
            const p = perOperation(phase);
            return [
              phase.name,
              int(phase.operations),
              phase.rows.updated ? `${dec((100 * phase.rows.hotUpdated) / phase.rows.updated, 2)}%` : 'n/a',
              int(sizes.heap),
              int(sizes.indexesTotal),
              int(sizes.total),
              p.walBytes === null ? 'n/a' : dec(p.walBytes),
              p.fpiRecords === null ? 'n/a' : dec(p.fpiRecords, 3),
            ];
          }),
        ],
      ),
    );
    out.push('');
    out.push('Purge:');
    out.push('');
    out.push(
      table(
        ['figure', 'value'],
        [
          ['sessions in the table before', int(rowsBeforePurge)],
          ["ended more than 7 days ago (retain: '7d')", int(purgeEligible)],
          ['deleted', int(purgeDeleted)],
          ['statements (batches)', int(purge.statements)],
          ['rows examined (reported by the statement)', int(purgeSummary.rowsExamined)],
          [
            'sequential scans / rows they read (pg_stat_user_tables)',
            `${int(purge.rows.seqScans)} / ${int(purge.rows.seqTuplesRead)}`,
          ],
          ['index scans', int(purge.rows.indexScans)],
          ['heap pages', int(purgeSummary.heapPages)],
          ['time (approx.)', `${dec(purge.seconds, 2)} s`],
          [
            'per batch, median / p99 / max (approx.)',
            `${dec(purgeSummary.batchMsMedian, 2)} / ${dec(purgeSummary.batchMsP99, 2)} / ${dec(purgeSummary.batchMsMax, 2)} ms`,
          ],
          ['WAL total', purge.wal ? `${int(purge.wal.bytes)} B (${mib(purge.wal.bytes)})` : 'n/a'],
          [
            'WAL excl. full-page images',
            purge.wal
              ? `${int(purge.wal.bytes - purge.wal.fpiBytes)} B, ${dec((purge.wal.bytes - purge.wal.fpiBytes) / Math.max(1, purgeDeleted))} B per deleted session`
              : 'n/a',
          ],
          ['records with full-page images', purge.wal ? int(purge.wal.fpiRecords) : 'n/a'],
          ['commit records', purge.wal ? int(purge.wal.commits) : 'n/a'],
          [
            'total size before / after purge / after vacuum',
            `${int(sizesBeforePurge.total)} / ${int(sizesAfterPurge.total)} / ${int(sizesAfterVacuum.total)} B`,
          ],
          ['vacuum after purge (approx.)', `${dec(vacuumAfterPurgeSeconds, 2)} s`],
          [
            "two kits at once (retain: '1d'): eligible / deleted by each / statements / time",
            `${int(concurrentEligible)} / ${concurrentDeleted.map(int).join(' + ')} / ${int(concurrentPurge.statements)} / ${dec(concurrentPurge.seconds, 2)} s`,
          ],
        ],
      ),
    );
    out.push('');
    out.push('Plans (EXPLAIN, costs off):');
    for (const [name, lines] of Object.entries(plans)) {
      out.push(`- ${name}:`);
      for (const line of lines) out.push(`    ${line}`);
    }
    out.push('');
    out.push(
      `Total ${dec(report.totalSeconds)} s. Written to ${RESULT_FILE.slice(RESULT_FILE.indexOf('bench/'))}.`,
    );
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    await db.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
