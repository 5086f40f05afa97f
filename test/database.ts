import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A superuser URL of a PostgreSQL server the tests may create databases on. */
    adminDatabaseUrl: string;
  }
}

/**
 * `KIT_TEST_POOLER_URL`: a connection pooler in front of the test server (PgBouncer in transaction
 * mode, with a wildcard database entry so new databases are reachable through it; see
 * `.ci/steps/pgbouncer.sh`). Databases are still created on the server directly; the code under
 * test then connects through the pooler.
 */
function poolerUrl(): string | undefined {
  return process.env.KIT_TEST_POOLER_URL || undefined;
}

/** A database of its own for one test file, dropped by `drop()`. */
export interface TestDatabase {
  /**
   * The URL the code under test connects with: through the pooler when `KIT_TEST_POOLER_URL` is
   * set, otherwise straight to the server.
   */
  url: string;
  /** The same database on the server itself, never through a pooler. */
  directUrl: string;
  /** Whether `url` goes through a pooler. */
  pooled: boolean;
  /**
   * Whether the server is a Citus coordinator. The database then comes with the kit's tables
   * already migrated and distributed (`distributeKitTables`), as a deployment has them after
   * `kit migrate` and `kit citus distribute`.
   */
  citus: boolean;
  name: string;
  drop(): Promise<void>;
}

function onDatabase(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function withClient<T>(url: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** One primary node of a Citus cluster, as `pg_dist_node` lists it. */
export interface CitusNode {
  host: string;
  port: number;
  coordinator: boolean;
}

/** The Citus nodes of the admin database's cluster, or null when the server is not Citus. */
export async function citusNodes(admin: pg.Client): Promise<CitusNode[] | null> {
  const extension = await admin.query(`select 1 from pg_extension where extname = 'citus'`);
  if (extension.rowCount === 0) return null;
  const nodes = await admin.query<{ nodename: string; nodeport: number; groupid: number }>(
    `select nodename, nodeport, groupid from pg_dist_node where noderole = 'primary' and isactive order by groupid`,
  );
  return nodes.rows.map((row) => ({
    host: row.nodename,
    port: row.nodeport,
    coordinator: row.groupid === 0,
  }));
}

function onNode(serverUrl: string, node: CitusNode, name: string): string {
  const url = new URL(onDatabase(serverUrl, name));
  url.hostname = node.host;
  url.port = String(node.port);
  return url.toString();
}

/**
 * Makes a new database of a Citus cluster usable as one: Citus keeps its metadata per database, so
 * the extension goes into the new database on every node and the workers are added to it; then the
 * kit's tables are migrated and distributed with the kit's own functions. Also used by the
 * benchmarks (`pnpm --filter @kit/bench citus`).
 */
export async function prepareCitusDatabase(
  adminUrl: string,
  name: string,
  nodes: CitusNode[],
): Promise<void> {
  const coordinatorUrl = onDatabase(adminUrl, name);
  for (const node of nodes.filter((n) => !n.coordinator)) {
    await withClient(onNode(adminUrl, node, name), (c) => c.query('create extension if not exists citus'));
  }
  await withClient(coordinatorUrl, async (c) => {
    await c.query('create extension if not exists citus');
    const coordinator = nodes.find((n) => n.coordinator);
    if (coordinator)
      await c.query('select citus_set_coordinator_host($1, $2)', [coordinator.host, coordinator.port]);
    for (const node of nodes.filter((n) => !n.coordinator)) {
      await c.query('select citus_add_node($1, $2)', [node.host, node.port]);
    }
  });
  const { createKitOrm, distributeKitTables, migrate } = await import(
    '../packages/core/src/mikro-orm/index.ts'
  );
  const orm = await createKitOrm({ databaseUrl: coordinatorUrl });
  try {
    await migrate(orm);
    await distributeKitTables(orm);
  } finally {
    await orm.close();
  }
}

let citusCheck: Promise<boolean> | undefined;

/**
 * Whether the test server is a Citus coordinator, for the few tests that only mean something on
 * one kind of server (`describe.skipIf(await testServerIsCitus())`).
 */
export function testServerIsCitus(): Promise<boolean> {
  citusCheck ??= withClient(inject('adminDatabaseUrl'), async (admin) => (await citusNodes(admin)) !== null);
  return citusCheck;
}

/**
 * Creates an empty database on the test server (always directly: a pooler in transaction mode
 * cannot run `create database`). On a Citus coordinator (a test run with `DATABASE_URL` naming one,
 * see `scripts/test-citus.sh`) the database spans the cluster and holds the kit's distributed
 * tables.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = inject('adminDatabaseUrl');
  const name = `kit_test_${randomBytes(6).toString('hex')}`;
  const nodes = await withClient(adminUrl, async (admin) => {
    const cluster = await citusNodes(admin);
    // Citus creates (and drops) the database on every node when asked to.
    if (cluster) await admin.query('set citus.enable_create_database_propagation to on');
    await admin.query(`create database ${name}`);
    return cluster;
  });
  if (nodes) await prepareCitusDatabase(adminUrl, name, nodes);
  const pooler = poolerUrl();
  const directUrl = onDatabase(adminUrl, name);
  return {
    url: pooler ? onDatabase(pooler, name) : directUrl,
    directUrl,
    pooled: pooler !== undefined,
    citus: nodes !== null,
    name,
    async drop() {
      await withClient(adminUrl, async (client) => {
        if (nodes) await client.query('set citus.enable_create_database_propagation to on');
        await client.query(`drop database if exists ${name} with (force)`);
      });
    },
  };
}
