import { EmbeddedPostgresError, startScratchPostgres } from '@kit/embedded-postgres';
import pg from 'pg';
import type { TestProject } from 'vitest/node';

import type {} from './database.ts';

/** The runner prints an error's stack: for a known failure, the one sentence that says what to do. */
function withoutStack(error: unknown): never {
  if (error instanceof EmbeddedPostgresError) error.stack = `${error.name}: ${error.message}`;
  throw error;
}

/**
 * Provides a PostgreSQL server to every test project: the one `DATABASE_URL` names when it is set,
 * otherwise an embedded PostgreSQL started once for the run. Tests create their own databases on
 * it (see `database.ts`), so test files never share tables.
 */
export default async function setup(project: TestProject) {
  let adminUrl = process.env.DATABASE_URL;
  let stop: (() => Promise<void>) | undefined;
  if (!adminUrl) {
    // A throwaway cluster in a directory of its own, made atomically in the temporary directory
    // (see startScratchPostgres). As root, when the `postgres` user cannot enter the temporary
    // directory itself (TMPDIR inside a private directory), the data is kept where it can and the
    // line below says so.
    const started = Date.now();
    const db = await startScratchPostgres({ prefix: 'kit-test-pg-' }).catch(withoutStack);
    const where = db.relocated
      ? ` (data in ${db.dataDir}: the postgres user cannot enter ${db.relocated.blockedAt})`
      : '';
    console.log(`tests: embedded PostgreSQL ready in ${Date.now() - started} ms${where}`);
    adminUrl = db.url;
    stop = () => db.stop();
  } else {
    console.log('tests: using the PostgreSQL server of DATABASE_URL');
  }
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  await client.query('select 1');
  await client.end();
  project.provide('adminDatabaseUrl', adminUrl);
  return async () => {
    await stop?.();
  };
}
