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
  name: string;
  drop(): Promise<void>;
}

function onDatabase(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * Creates an empty database on the test server (always directly: a pooler in transaction mode
 * cannot run `create database`).
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = inject('adminDatabaseUrl');
  const name = `kit_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const pooler = poolerUrl();
  const directUrl = onDatabase(adminUrl, name);
  return {
    url: pooler ? onDatabase(pooler, name) : directUrl,
    directUrl,
    pooled: pooler !== undefined,
    name,
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`drop database if exists ${name} with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}
