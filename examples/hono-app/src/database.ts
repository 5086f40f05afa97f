import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A PostgreSQL database to run the example on. */
export interface Database {
  url: string;
  stop(): Promise<void>;
}

/** Where the example keeps what it generates: the embedded PostgreSQL's data and the secret. */
export const DATA_DIR = fileURLToPath(new URL('../.data', import.meta.url));

/**
 * The PostgreSQL of `DATABASE_URL` when it is set: in a project of your own, that is the whole of
 * this file. Otherwise, inside this repository only, the repository's embedded PostgreSQL (a real
 * PostgreSQL server from npm, no installation needed; `@kit/embedded-postgres` is a private
 * workspace package, not published), with its data under `examples/hono-app/.data/postgres`, kept
 * between runs: `migrate` and `start` see the same data. When it cannot start, it prints why in
 * one sentence and exits 1.
 */
export async function openDatabase(env: NodeJS.ProcessEnv = process.env): Promise<Database> {
  if (env.DATABASE_URL) return { url: env.DATABASE_URL, stop: async () => undefined };
  // Imported only here, so that a copy of this example with DATABASE_URL set never loads it.
  const embedded = await import('@kit/embedded-postgres');
  const dataDir = join(DATA_DIR, 'postgres');
  const db = await embedded
    .startEmbeddedPostgres({ dataDir, persistent: true })
    .catch(embedded.exitOnEmbeddedPostgresError);
  // As root in a private directory the data lives elsewhere (.data/postgres links there): say where.
  if (db.relocated)
    console.log(embedded.describeEmbeddedPostgres(db, dataDir, 'examples/hono-app/.data/postgres'));
  return db;
}
