/**
 * `pnpm --filter @kit/bench soak`: the soak alone (see measure-soak.ts), on a fresh database of
 * `DATABASE_URL`'s server or of an embedded PostgreSQL. Exits with 1 when a check failed or the
 * server's memory grew beyond the bounds.
 */
import { openBenchDatabase } from './database.ts';
import { measureSoak } from './measure-soak.ts';

const log = (line: string) => console.error(`bench: ${line}`);
const db = await openBenchDatabase(log);
let failed = false;
try {
  const figure = await measureSoak({ databaseUrl: db.url, log });
  failed =
    figure.unexpected.count > 0 || figure.sessions.failureCount > 0 || figure.memoryProblems.length > 0;
} finally {
  await db.close();
}
process.exitCode = failed ? 1 : 0;
