import type { MikroORM } from '@mikro-orm/postgresql';
import { KitError, KitStoreFailureError } from '../errors.ts';
import { toStoreError } from './errors.ts';
import { leaseConnection } from './pooled-connection.ts';

/**
 * How the kit's tables are laid out on Citus: `kit_sessions` by its id (every refresh is then a
 * single-shard statement routed to one worker), `kit_rate_limits` and `kit_dpop_replays` by their
 * key (each hit, each accepted DPoP proof, is a single-key upsert routed to one worker; a reference
 * table would write every proof to every node), `kit_signing_keys` as a reference table (a handful
 * of rows, read by every instance, copied to every node). `kit_migrations` stays on the
 * coordinator.
 */
const LAYOUT = [
  { table: 'kit_sessions', column: 'id' },
  { table: 'kit_rate_limits', column: 'key' },
  { table: 'kit_dpop_replays', column: 'key' },
  { table: 'kit_signing_keys', column: null },
] as const;

/**
 * Options of {@link distributeKitTables}.
 */
export interface DistributeKitTablesOptions {
  /**
   * Distribute tables that already hold rows without blocking writes, with Citus's
   * `create_distributed_table_concurrently` (for a live deployment moving to Citus). It copies
   * the rows in the background and takes longer; reads and writes go on meanwhile. It needs
   * `wal_level = logical` on every node (Citus copies through logical replication). The reference
   * table (`kit_signing_keys`, a handful of rows) is always distributed the ordinary way.
   * @default false
   */
  concurrently?: boolean;
}

/**
 * What {@link distributeKitTables} did, table by table.
 */
export interface DistributeKitTablesResult {
  /** Tables this call distributed. */
  distributed: string[];
  /** Tables that were already laid out as the kit needs. */
  unchanged: string[];
}

type Query = (sql: string, values?: unknown[]) => Promise<Record<string, unknown>[]>;

function queryOf(orm: MikroORM): Query {
  const knex = orm.em.getConnection().getKnex();
  return async (sql, values = []) => {
    const result = (await knex.raw(sql, values as never[])) as { rows: Record<string, unknown>[] };
    return result.rows;
  };
}

/**
 * Runs one of Citus's table functions as a statement of its own, in the simple protocol: the
 * kit's connections otherwise send each statement with a transaction-local statement timeout
 * ahead of it (see statement-timeout.ts), and `create_distributed_table_concurrently` refuses to
 * run inside a transaction, while copying a large table may take far longer than that timeout
 * (or than the pool's client-side `query_timeout`, lifted here too).
 * `sql` is built from the kit's own table and column names only, never from input.
 */
async function runUtility(orm: MikroORM, sql: string): Promise<void> {
  // A connection of its own, outside the pool and closed afterwards: a pooled connection judged
  // direct carries the statement timeout on its session, and lifting it there would leave the
  // pool with a connection that has none.
  const lease = await leaseConnection(orm, 'distributeKitTables', { dedicated: true });
  let failure: unknown;
  try {
    // No client-side timeout either (pg's longest timer): the copy takes as long as the table.
    await lease.connection.query({ text: sql, queryMode: 'simple', query_timeout: 2_147_483_647 });
  } catch (error) {
    failure = error;
    throw toStoreError(error, 'distributeKitTables');
  } finally {
    await lease.release(failure);
  }
}

async function citusVersion(query: Query): Promise<string | null> {
  const rows = await query(`select extversion from pg_extension where extname = 'citus'`);
  return (rows[0]?.extversion as string | undefined) ?? null;
}

/** How Citus holds one table. */
type Layout =
  /** Not managed by Citus, or a Citus local table (on the coordinator, added to the metadata). */
  { kind: 'local' } | { kind: 'reference' } | { kind: 'distributed'; column: string | null };

/** One table's layout in Citus's catalogue (`pg_dist_partition`). */
async function layoutOf(query: Query, table: string): Promise<Layout> {
  const rows = await query(
    `select partmethod as method, repmodel as model, column_to_column_name(logicalrelid, partkey) as column
       from pg_dist_partition where logicalrelid = to_regclass(?)`,
    [table],
  );
  const row = rows[0];
  if (!row) return { kind: 'local' };
  if (row.method === 'n') return row.model === 't' ? { kind: 'reference' } : { kind: 'local' };
  return { kind: 'distributed', column: (row.column as string | null) ?? null };
}

function describeLayout(layout: Layout): string {
  if (layout.kind === 'reference') return 'a reference table';
  if (layout.kind === 'distributed') return `distributed by ${layout.column ?? 'another method'}`;
  return 'a local table';
}

/**
 * Whether `kit_sessions` is a distributed (Citus) table in the database of `orm`. The store asks
 * once, at its first write, to pick the statements and the rotation grouping that suit it.
 *
 * @internal
 */
export function isSessionsTableDistributed(orm: MikroORM): Promise<boolean> {
  return isTableDistributed(orm, 'kit_sessions');
}

/**
 * Whether `table` is a distributed (Citus) table in the database of `orm`: `false` without Citus.
 *
 * @internal
 */
export async function isTableDistributed(orm: MikroORM, table: string): Promise<boolean> {
  const query = queryOf(orm);
  try {
    if ((await citusVersion(query)) === null) return false;
    return (await layoutOf(query, table)).kind === 'distributed';
  } catch (error) {
    throw toStoreError(error, 'detectDistribution');
  }
}

/**
 * Distributes the kit's tables on a Citus cluster, after `migrate` has created them: run it once,
 * on the coordinator. `kit_sessions` is distributed by `id`, `kit_rate_limits` and
 * `kit_dpop_replays` by `key`, and
 * `kit_signing_keys` becomes a reference table; `kit_migrations` stays on the coordinator, and later
 * kit migrations propagate to the workers by themselves. Tables already laid out so are left alone,
 * so calling it again is harmless; a table distributed some other way (by another column) is an
 * error, since the kit's statements would then fan out to every shard.
 *
 * Stores created afterwards notice the distributed `kit_sessions` at their first write and adapt:
 * rotations are not grouped (a grouped statement would touch every shard), and multi-row
 * revocations take a form Citus can run. Instances started before the change pick it up when they
 * restart.
 *
 * The CLI runs it as `kit citus distribute`.
 *
 * @throws `KitStoreFailureError` (`ERR_STORE_FAILURE`) when the database has no `citus` extension, when the kit's
 *   migrations have not run, or when a table is laid out another way.
 * @example
 * ```ts
 * import { createKitOrm, distributeKitTables, migrate } from '@kit/core/mikro-orm';
 *
 * const orm = await createKitOrm({ databaseUrl: process.env.CITUS_COORDINATOR_URL! });
 * await migrate(orm);
 * // A deployment already serving users: copy the rows without blocking writes.
 * await distributeKitTables(orm, { concurrently: true });
 * ```
 */
export async function distributeKitTables(
  orm: MikroORM,
  options: DistributeKitTablesOptions = {},
): Promise<DistributeKitTablesResult> {
  const query = queryOf(orm);
  const result: DistributeKitTablesResult = { distributed: [], unchanged: [] };
  try {
    if ((await citusVersion(query)) === null) {
      throw new KitStoreFailureError(
        'This database has no citus extension: run `create extension citus` on the coordinator (and add its workers) first.',
      );
    }
    for (const { table } of LAYOUT) {
      const present = await query('select to_regclass(?) is not null as present', [table]);
      if (!present[0]?.present) {
        throw new KitStoreFailureError(`Table ${table} does not exist: run \`kit migrate\` first.`);
      }
    }
    if (options.concurrently) {
      // Citus copies the rows through logical replication, and fails deep inside without it.
      const wal = await query(`select current_setting('wal_level') as level`);
      if (wal[0]?.level !== 'logical') {
        throw new KitStoreFailureError(
          'Distributing concurrently needs wal_level = logical on the coordinator and every worker (a restart): set it, or distribute without `concurrently`, which blocks writes to each table while its rows are copied.',
        );
      }
    }
    for (const { table, column } of LAYOUT) {
      const layout = await layoutOf(query, table);
      const wanted: Layout = column === null ? { kind: 'reference' } : { kind: 'distributed', column };
      if (describeLayout(layout) === describeLayout(wanted)) {
        result.unchanged.push(table);
        continue;
      }
      if (layout.kind !== 'local') {
        throw new KitStoreFailureError(
          `Table ${table} is already ${describeLayout(layout)}; the kit needs ${describeLayout(wanted)}: undistribute it first (select undistribute_table('${table}')).`,
        );
      }
      if (column === null) {
        await runUtility(orm, `select create_reference_table('${table}')`);
      } else if (options.concurrently) {
        await runUtility(orm, `select create_distributed_table_concurrently('${table}', '${column}')`);
      } else {
        await runUtility(orm, `select create_distributed_table('${table}', '${column}')`);
      }
      result.distributed.push(table);
    }
    return result;
  } catch (error) {
    if (error instanceof KitError) throw error;
    throw toStoreError(error, 'distributeKitTables');
  }
}
