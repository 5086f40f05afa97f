import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { EmbeddedPostgresError, startEmbeddedPostgres } from '../apps/demo/src/embedded-postgres.ts';

import type {} from './database.ts';

/** The runner prints an error's stack: for a known failure, the one sentence that says what to do. */
function withoutStack(error: unknown): never {
  if (error instanceof EmbeddedPostgresError) error.stack = `${error.name}: ${error.message}`;
  throw error;
}

/**
 * Provides a PostgreSQL server to every test project: the one `DATABASE_URL` names when it is set,
 * otherwise an embedded PostgreSQL started once for the run. Tests create their own databases on
 * it (see `test/database.ts`), so test files never share tables.
 */
export default async function setup(project: TestProject) {
  let adminUrl = process.env.DATABASE_URL;
  let stop: (() => Promise<void>) | undefined;
  if (!adminUrl) {
    // A directory of our own, made atomically (a name guessed in the shared temporary directory
    // could be taken first, by a link another user planted), with the cluster inside it. mkdtemp
    // makes it mode 700; as root the server runs as `postgres`, which must enter it: it is opened to
    // 755 then (still root's, so no one else can add or swap anything in it). As root, when the
    // `postgres` user cannot enter the temporary directory itself (TMPDIR inside a private
    // directory), the helper keeps the data where it can and says so below.
    const scratch = mkdtempSync(join(tmpdir(), 'kit-test-pg-'));
    if (process.getuid?.() === 0) chmodSync(scratch, 0o755);
    const dataDir = join(scratch, 'data');
    const started = Date.now();
    const db = await startEmbeddedPostgres({ dataDir, persistent: false }).catch((error: unknown) => {
      rmSync(scratch, { recursive: true, force: true });
      return withoutStack(error);
    });
    const where = db.relocated
      ? ` (data in ${db.dataDir}: the postgres user cannot enter ${db.relocated.blockedAt})`
      : '';
    console.log(`tests: embedded PostgreSQL ready in ${Date.now() - started} ms${where}`);
    adminUrl = db.url;
    stop = async () => {
      await db.stop();
      rmSync(scratch, { recursive: true, force: true });
    };
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
