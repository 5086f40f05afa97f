import type { MikroORM } from '@mikro-orm/postgresql';
import type pg from 'pg';

/**
 * What `scale.ts` reads from PostgreSQL around each measured phase: the table's cumulative
 * statistics, the WAL records that touched the kit's relations, relation sizes, and the statements
 * the kit sent. All of it is attributable to the phase's own work, even on a server shared with
 * other databases: statistics are per table, WAL records are selected by relation and by the
 * transactions that wrote them.
 */

/** Cumulative counters of one table, from `pg_stat_user_tables`. */
export interface TableCounters {
  inserted: number;
  updated: number;
  hotUpdated: number;
  deleted: number;
  seqScans: number;
  seqTuplesRead: number;
  indexScans: number;
  indexTuplesFetched: number;
  liveTuples: number;
  deadTuples: number;
}

export async function readCounters(client: pg.Client, table: string): Promise<TableCounters> {
  const row = (
    await client.query<Record<string, string | null>>(
      `select n_tup_ins, n_tup_upd, n_tup_hot_upd, n_tup_del, seq_scan, seq_tup_read, idx_scan,
          idx_tup_fetch, n_live_tup, n_dead_tup
        from pg_stat_user_tables where relid = $1::regclass`,
      [table],
    )
  ).rows[0];
  const n = (value: string | null | undefined) => Number(value ?? 0);
  return {
    inserted: n(row?.n_tup_ins),
    updated: n(row?.n_tup_upd),
    hotUpdated: n(row?.n_tup_hot_upd),
    deleted: n(row?.n_tup_del),
    seqScans: n(row?.seq_scan),
    seqTuplesRead: n(row?.seq_tup_read),
    indexScans: n(row?.idx_scan),
    indexTuplesFetched: n(row?.idx_tup_fetch),
    liveTuples: n(row?.n_live_tup),
    deadTuples: n(row?.n_dead_tup),
  };
}

/** Counter changes between two readings (live and dead tuples: the value after). */
export function counterDelta(before: TableCounters, after: TableCounters): TableCounters {
  return {
    inserted: after.inserted - before.inserted,
    updated: after.updated - before.updated,
    hotUpdated: after.hotUpdated - before.hotUpdated,
    deleted: after.deleted - before.deleted,
    seqScans: after.seqScans - before.seqScans,
    seqTuplesRead: after.seqTuplesRead - before.seqTuplesRead,
    indexScans: after.indexScans - before.indexScans,
    indexTuplesFetched: after.indexTuplesFetched - before.indexTuplesFetched,
    liveTuples: after.liveTuples,
    deadTuples: after.deadTuples,
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const same = (a: TableCounters, b: TableCounters) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Reads the counters once every backend that worked on the table has reported. Backends report
 * their counts when they go idle (at most once a second) and when they exit; the phases close
 * their connections, so this waits until `ready` holds (when given) and two readings 200 ms apart
 * agree, for at most `timeoutMs`.
 */
export async function settledCounters(
  client: pg.Client,
  table: string,
  options: {
    base?: TableCounters;
    ready?: ((delta: TableCounters) => boolean) | undefined;
    timeoutMs?: number;
  } = {},
): Promise<TableCounters> {
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  let last = await readCounters(client, table);
  for (;;) {
    await sleep(200);
    const next = await readCounters(client, table);
    const ready = !options.ready || !options.base || options.ready(counterDelta(options.base, next));
    if ((ready && same(last, next)) || Date.now() > deadline) return next;
    last = next;
  }
}

/** WAL written for a table between two positions, from `pg_walinspect`. */
export interface WalUse {
  /** Bytes of WAL the records occupy (record lengths plus alignment). */
  bytes: number;
  records: number;
  /** Records carrying at least one full-page image, and the bytes of those images. */
  fpiRecords: number;
  fpiBytes: number;
  /** Commit records of the transactions that wrote these records. */
  commits: number;
  commitBytes: number;
  /** Per `resource manager/record type`: records, bytes, full-page image bytes. */
  byType: Record<string, { records: number; bytes: number; fpiBytes: number }>;
}

/** The relation file numbers of `table`, its indexes and its TOAST table and index. */
export async function relationFiles(client: pg.Client, table: string): Promise<string[]> {
  const rows = (
    await client.query<{ node: string }>(
      `with t as (select $1::regclass::oid as oid),
        toast as (select reltoastrelid as oid from pg_class where oid = (select oid from t) and reltoastrelid <> 0),
        rels as (
          select oid from t
          union all select indexrelid from pg_index where indrelid = (select oid from t)
          union all select oid from toast
          union all select indexrelid from pg_index where indrelid in (select oid from toast)
        )
      select pg_relation_filenode(oid)::text as node from rels`,
      [table],
    )
  ).rows;
  return rows.map((row) => row.node);
}

/** Whether `pg_walinspect` could be created in the database (PostgreSQL 15 and later, contrib). */
export async function enableWalInspect(client: pg.Client): Promise<boolean> {
  try {
    await client.query('create extension if not exists pg_walinspect');
    return true;
  } catch {
    return false;
  }
}

/**
 * The WAL records between `from` and `to` that reference a block of one of `files` in this
 * database (heap, index, visibility map and free-space map changes, pruning, full-page images),
 * plus the commit records of the transactions that wrote them. Other databases' WAL in the same
 * range is left out.
 */
export async function walUse(client: pg.Client, from: string, to: string, files: string[]): Promise<WalUse> {
  const db = (
    await client.query<{ oid: string }>(
      'select oid::text from pg_database where datname = current_database()',
    )
  ).rows[0]!.oid;
  const pattern = `rel [0-9]+/${db}/(${files.join('|')}) fork`;
  // A set-returning function's row estimate is blind (1000 rows), and a nested loop over the
  // records once per transaction is quadratic: the commit records are joined by hash instead.
  type Row = { kind: string; records: string; bytes: string; fpi_records: string; fpi_bytes: string };
  let rows: Row[];
  await client.query('begin');
  try {
    await client.query('set local enable_nestloop = off');
    rows = (
      await client.query<Row>(
        `with r as materialized (
            select end_lsn - start_lsn as bytes, xid::text as xid, resource_manager || '/' || record_type as kind,
              fpi_length, coalesce(block_ref, '') ~ $3 as mine
            from pg_get_wal_records_info($1::pg_lsn, $2::pg_lsn)
          ),
          xids as materialized (select distinct xid from r where mine and xid <> '0'),
          picked as (
            select kind, bytes, fpi_length from r where mine
            union all
            select r.kind, r.bytes, r.fpi_length from r join xids on xids.xid = r.xid
              where not r.mine and r.kind like 'Transaction/%'
          )
        select kind, count(*) as records, sum(bytes) as bytes,
            count(*) filter (where fpi_length > 0) as fpi_records, sum(fpi_length) as fpi_bytes
          from picked group by 1 order by 3 desc`,
        [from, to, pattern],
      )
    ).rows;
  } finally {
    await client.query('commit');
  }
  const use: WalUse = {
    bytes: 0,
    records: 0,
    fpiRecords: 0,
    fpiBytes: 0,
    commits: 0,
    commitBytes: 0,
    byType: {},
  };
  for (const row of rows) {
    const records = Number(row.records);
    const bytes = Number(row.bytes);
    const fpiBytes = Number(row.fpi_bytes);
    use.bytes += bytes;
    use.records += records;
    use.fpiRecords += Number(row.fpi_records);
    use.fpiBytes += fpiBytes;
    if (row.kind === 'Transaction/COMMIT') {
      use.commits += records;
      use.commitBytes += bytes;
    }
    use.byType[row.kind] = { records, bytes, fpiBytes };
  }
  return use;
}

/** The current WAL position, once everything up to it is flushed (so pg_walinspect may read it). */
export async function flushedLsn(client: pg.Client): Promise<string> {
  const lsn = (await client.query<{ lsn: string }>('select pg_current_wal_lsn()::text as lsn')).rows[0]!.lsn;
  for (let i = 0; i < 100; i++) {
    const done = (
      await client.query<{ ok: boolean }>('select pg_current_wal_flush_lsn() >= $1::pg_lsn as ok', [lsn])
    ).rows[0]!.ok;
    if (done) break;
    await sleep(20);
  }
  return lsn;
}

/** Bytes of WAL the whole server wrote between two positions (every database, for reference). */
export async function serverWalBytes(client: pg.Client, from: string, to: string): Promise<number> {
  return Number(
    (
      await client.query<{ bytes: string }>('select pg_wal_lsn_diff($2::pg_lsn, $1::pg_lsn) as bytes', [
        from,
        to,
      ])
    ).rows[0]!.bytes,
  );
}

/** Sizes of a table, its forks and each of its indexes, in bytes. */
export interface RelationSizes {
  /** Main fork of the heap: the rows. */
  heap: number;
  /** Free-space map and visibility map forks. */
  maps: number;
  toast: number;
  /** `pg_table_size`: heap, maps and TOAST. */
  table: number;
  indexes: { name: string; bytes: number }[];
  /** `pg_indexes_size`. */
  indexesTotal: number;
  /** `pg_total_relation_size`. */
  total: number;
}

export async function relationSizes(client: pg.Client, table: string): Promise<RelationSizes> {
  const row = (
    await client.query<Record<string, string>>(
      `select pg_relation_size($1::regclass, 'main') as heap,
          pg_relation_size($1::regclass, 'fsm') + pg_relation_size($1::regclass, 'vm') as maps,
          pg_table_size($1::regclass) as "table", pg_indexes_size($1::regclass) as indexes,
          pg_total_relation_size($1::regclass) as total`,
      [table],
    )
  ).rows[0]!;
  const indexes = (
    await client.query<{ name: string; bytes: string }>(
      `select indexrelid::regclass::text as name, pg_relation_size(indexrelid) as bytes
        from pg_index where indrelid = $1::regclass order by 1`,
      [table],
    )
  ).rows.map((index) => ({ name: index.name, bytes: Number(index.bytes) }));
  const heap = Number(row.heap);
  const maps = Number(row.maps);
  const tableBytes = Number(row.table);
  return {
    heap,
    maps,
    toast: tableBytes - heap - maps,
    table: tableBytes,
    indexes,
    indexesTotal: Number(row.indexes),
    total: Number(row.total),
  };
}

/** One statement the kit sent, as seen on its `pg` connections. */
export interface SentStatement {
  /** The prepared statement's name, the kit statement's label, or the first word of the SQL. */
  kind: string;
  /** Milliseconds from sending to the result (statements sent with a promise only). */
  ms?: number;
  /** The first result row (statements sent with a promise only). */
  firstRow?: Record<string, unknown> | undefined;
}

/** Statements sent by the kit since the last `reset()`. */
export interface StatementLog {
  sent: SentStatement[];
  /** SQL text by kind, as last sent. */
  texts: Map<string, string>;
  reset(): void;
  /** Count per kind. */
  kinds(): Record<string, number>;
}

interface QueryConfigLike {
  name?: string;
  text?: string;
}

type Query = (this: unknown, ...args: unknown[]) => unknown;

const patched = new WeakSet<object>();

// The kit's statements are unnamed (they must work behind a pooler in transaction mode); these are
// the labels the reports have always used for them, recognised by their text.
const KIT_STATEMENTS: [string, (text: string) => boolean][] = [
  ['kit_rotate_sessions', (text) => text.startsWith('update kit_sessions s set') && text.includes('unnest(')],
  ['kit_rotate_session', (text) => text.includes('generation = generation + 1')],
  ['kit_touch_session', (text) => /^update kit_sessions set\s+last_refreshed_at = \$4/.test(text)],
  ['kit_find_session', (text) => text.startsWith('select s.id is not null as found')],
  ['kit_list_revoked', (text) => text.startsWith('select id from kit_sessions where revoked_at >=')],
  ['kit_rate_limit_hit', (text) => text.startsWith('insert into kit_rate_limits')],
];

/**
 * The label the reports use for one of the kit's own statements (the names the store once prepared
 * them under), or `undefined` for any other SQL.
 */
export function kitStatementLabel(text: string): string | undefined {
  const trimmed = text.trim();
  return KIT_STATEMENTS.find(([, matches]) => matches(trimmed))?.[0];
}

function kindOf(config: unknown): { kind: string; text: string } {
  const text = typeof config === 'string' ? config : ((config as QueryConfigLike | null)?.text ?? '');
  const name = typeof config === 'object' && config !== null ? (config as QueryConfigLike).name : undefined;
  if (name) return { kind: name, text };
  const known = kitStatementLabel(text);
  if (known) return { kind: known, text };
  const first = text.trim().split(/\s+/, 1)[0]?.toLowerCase() ?? '?';
  if (first === 'with' && /\bdelete\b/i.test(text)) return { kind: 'with … delete', text };
  return { kind: first, text };
}

/**
 * Counts every statement the kit sends through `orm`'s connections (the `pg` client class the
 * ORM's driver uses, which may be another copy of `pg` than the benchmark's own). The kit's
 * writes go through `runStatement` (timed, first row kept); its reads through knex (callback
 * form: counted only).
 */
export async function logStatements(orm: MikroORM): Promise<StatementLog> {
  const log: StatementLog = {
    sent: [],
    texts: new Map(),
    reset() {
      log.sent = [];
    },
    kinds() {
      const counts: Record<string, number> = {};
      for (const statement of log.sent) counts[statement.kind] = (counts[statement.kind] ?? 0) + 1;
      return counts;
    },
  };
  const client = orm.em.getConnection().getKnex().client as unknown as {
    acquireConnection(): Promise<object>;
    releaseConnection(connection: object): Promise<unknown>;
  };
  const connection = await client.acquireConnection();
  const prototype = Object.getPrototypeOf(connection) as { query: Query };
  await client.releaseConnection(connection);
  if (patched.has(prototype)) throw new Error('logStatements: the pg client class is already observed.');
  patched.add(prototype);
  const original = prototype.query;
  prototype.query = function query(this: unknown, ...args: unknown[]) {
    const { kind, text } = kindOf(args[0]);
    const entry: SentStatement = { kind };
    log.sent.push(entry);
    log.texts.set(kind, text);
    const started = performance.now();
    // The kit's ORM sends its statements as query objects carrying their own callback (the
    // statement timeout rides in front of each): time those through the callback.
    const submitted = args[0] as {
      submit?: unknown;
      callback?: (error: unknown, value?: { rows?: Record<string, unknown>[] }) => void;
    } | null;
    if (typeof submitted?.submit === 'function' && typeof submitted.callback === 'function') {
      const callback = submitted.callback;
      submitted.callback = (error, value) => {
        if (!error) {
          entry.ms = performance.now() - started;
          entry.firstRow = value?.rows?.[0];
        }
        callback(error, value);
      };
    }
    const result = original.apply(this, args);
    if (result && typeof (result as Promise<unknown>).then === 'function') {
      (result as Promise<{ rows?: Record<string, unknown>[] }>).then(
        (value) => {
          entry.ms = performance.now() - started;
          entry.firstRow = value?.rows?.[0];
        },
        () => undefined,
      );
    }
    return result;
  };
  return log;
}
