import { randomBytes } from 'node:crypto';
import { createKitOrm, migrate } from '@kit/core/mikro-orm';
import { startScratchPostgres } from '@kit/embedded-postgres';
import { citusNodes, prepareCitusDatabase } from '@kit/test-support/citus';
import pg from 'pg';

/** The database the whole run uses: created fresh, dropped (and its server stopped) by `close`. */
export interface BenchDatabase {
  /** Connection URL of the fresh `kit_bench_<random>` database. */
  url: string;
  name: string;
  /** Where the server came from. */
  source: 'DATABASE_URL' | 'embedded-postgres' | 'CITUS_URL';
  /** `select version()`. */
  version: string;
  /** Server settings that change write throughput a lot; recorded so results can be compared. */
  settings: Record<string, string>;
  /**
   * Another empty database on the same server (not on Citus), for a section that needs one of its
   * own (the soak's demo server keeps signing keys under its own secret); dropped by its `close()`,
   * or by this database's.
   */
  another?(log: (line: string) => void): Promise<{ url: string; close(): Promise<void> }>;
  close(): Promise<void>;
}

const REPORTED_SETTINGS = [
  'fsync',
  'synchronous_commit',
  'full_page_writes',
  'wal_level',
  'shared_buffers',
  'max_connections',
  'autovacuum',
];

/** Runs `use` on a fresh client of `url`, closed afterwards. */
export async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

/** `select version()` and the {@link REPORTED_SETTINGS} of the server `client` is on. */
async function serverInfo(client: pg.Client): Promise<{ version: string; settings: Record<string, string> }> {
  const version = (await client.query<{ version: string }>('select version()')).rows[0]!.version;
  const rows = (
    await client.query<{ name: string; setting: string; unit: string | null }>(
      'select name, setting, unit from pg_settings where name = any($1) order by name',
      [REPORTED_SETTINGS],
    )
  ).rows;
  const settings: Record<string, string> = {};
  for (const row of rows) settings[row.name] = row.unit ? `${row.setting} (${row.unit})` : row.setting;
  return { version, settings };
}

/**
 * Opens a fresh `kit_bench_<random>` database spanning the Citus cluster whose coordinator
 * `coordinatorUrl` names, with the kit's tables migrated and distributed as a deployment has them
 * after `kit migrate` and `kit citus distribute` (the tests' own preparation, `@kit/test-support/citus`).
 * `settings` also records the Citus version.
 */
export async function openCitusBenchDatabase(
  coordinatorUrl: string,
  log: (line: string) => void,
): Promise<BenchDatabase> {
  const name = `kit_bench_${randomBytes(6).toString('hex')}`;
  const { nodes, info } = await withClient(coordinatorUrl, async (client) => {
    const cluster = await citusNodes(client);
    if (!cluster) throw new Error('CITUS_URL does not name a Citus coordinator (no citus extension there).');
    const citus = (
      await client.query<{ v: string }>(`select extversion as v from pg_extension where extname = 'citus'`)
    ).rows[0]!.v;
    // Citus creates (and drops) the database on every node when asked to.
    await client.query('set citus.enable_create_database_propagation to on');
    await client.query(`create database ${name}`);
    const server = await serverInfo(client);
    return { nodes: cluster, info: { ...server, settings: { ...server.settings, citus } } };
  });
  const drop = () =>
    withClient(coordinatorUrl, async (client) => {
      await client.query('set citus.enable_create_database_propagation to on');
      await client.query(`drop database if exists ${name} with (force)`);
    });
  try {
    await prepareCitusDatabase(coordinatorUrl, name, nodes);
  } catch (error) {
    await drop();
    throw error;
  }
  const url = new URL(coordinatorUrl);
  url.pathname = `/${name}`;
  log(
    `database ${name} created on the Citus coordinator (${nodes.length - 1} workers), kit tables distributed`,
  );
  return { url: url.toString(), name, source: 'CITUS_URL', ...info, close: drop };
}

/** {@link openBenchDatabase}, with the kit's tables made by its own migrations. */
export async function openMigratedBenchDatabase(log: (line: string) => void): Promise<BenchDatabase> {
  const db = await openBenchDatabase(log);
  try {
    const orm = await createKitOrm({ databaseUrl: db.url, poolSize: 2 });
    try {
      await migrate(orm);
    } finally {
      await orm.close();
    }
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}

/**
 * Opens the benchmark database. With `DATABASE_URL` set, a fresh database is created on that
 * server (the URL's own database is only used to run `create database`). Otherwise an embedded
 * PostgreSQL is started in a temporary directory (the repository's one helper, so the demo, the
 * tests and the bench run the same server set-up) and the fresh database is created on it. Either
 * way every measurement of the run uses this one database.
 */
export async function openBenchDatabase(log: (line: string) => void): Promise<BenchDatabase> {
  let adminUrl = process.env.DATABASE_URL;
  let source: BenchDatabase['source'] = 'DATABASE_URL';
  let stopServer = async () => {};
  if (!adminUrl) {
    source = 'embedded-postgres';
    // A throwaway cluster in a directory of its own, made atomically (as the tests' global setup's).
    log('starting embedded PostgreSQL');
    const server = await startScratchPostgres({ prefix: 'kit-bench-pg-' });
    log(`embedded PostgreSQL started in ${server.dataDir}`);
    adminUrl = server.url;
    stopServer = () => server.stop();
  }

  const name = `kit_bench_${randomBytes(6).toString('hex')}`;
  let info: { version: string; settings: Record<string, string> };
  try {
    info = await withClient(adminUrl, async (client) => {
      await client.query(`create database ${name}`);
      return serverInfo(client);
    });
  } catch (error) {
    await stopServer();
    throw error;
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  log(`database ${name} created (${source})`);

  const admin = adminUrl;
  const drop = (database: string) =>
    withClient(admin, (client) => client.query(`drop database if exists ${database} with (force)`));
  const others: string[] = [];
  return {
    url: url.toString(),
    name,
    source,
    ...info,
    async another(log) {
      const other = `kit_bench_${randomBytes(6).toString('hex')}`;
      await withClient(admin, (client) => client.query(`create database ${other}`));
      others.push(other);
      log(`database ${other} created (${source})`);
      const otherUrl = new URL(admin);
      otherUrl.pathname = `/${other}`;
      return { url: otherUrl.toString(), close: () => drop(other).then(() => undefined) };
    },
    async close() {
      try {
        for (const database of [...others, name]) await drop(database);
      } finally {
        await stopServer();
      }
    },
  };
}
