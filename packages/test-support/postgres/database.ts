import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { citusNodes, onDatabase, prepareCitusDatabase, withClient } from './citus.ts';

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
