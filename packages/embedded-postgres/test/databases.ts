import pg from 'pg';
import { startEmbeddedPostgres } from '../src/start.ts';
import type { EmbeddedDatabase } from '../src/types.ts';

/**
 * `startEmbeddedPostgres` for a test file: `start` keeps each server it started in `started`, and
 * `stopAll` (an `afterEach`) stops them. A test that stops one itself empties `started` first.
 */
export function startedDatabases() {
  const started: EmbeddedDatabase[] = [];
  return {
    started,
    async start(options: Parameters<typeof startEmbeddedPostgres>[0]): Promise<EmbeddedDatabase> {
      const db = await startEmbeddedPostgres(options);
      started.push(db);
      return db;
    },
    async stopAll(): Promise<void> {
      for (const db of started.splice(0)) await db.stop();
    },
  };
}

/** The rows of one statement, on a connection of its own. */
export async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}
