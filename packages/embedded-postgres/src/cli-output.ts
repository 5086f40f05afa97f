import { resolve } from 'node:path';
import { EmbeddedPostgresError } from './error.ts';
import type { EmbeddedDatabase } from './types.ts';

/**
 * The line the demo prints about its embedded PostgreSQL: where the data lives, and, when that is
 * not the requested directory, that the requested one links there and why.
 *
 * @param requested the `dataDir` the server was started with
 * @param shown how to name `requested` to the user (a path relative to the repository)
 * @example
 * ```ts
 * console.log(describeEmbeddedPostgres(db, dataDir, 'apps/demo/.data/postgres'));
 * // using an embedded PostgreSQL with its data under apps/demo/.data/postgres
 * ```
 */
export function describeEmbeddedPostgres(db: EmbeddedDatabase, requested: string, shown: string): string {
  if (resolve(db.dataDir) === resolve(requested))
    return `using an embedded PostgreSQL with its data under ${shown}`;
  const why = db.relocated
    ? `: as root the server runs as the postgres user, who cannot enter ${db.relocated.blockedAt}`
    : '';
  return `using an embedded PostgreSQL with its data in ${db.dataDir} (${shown} links there)${why}`;
}

/**
 * For a program's start-up: prints an {@link EmbeddedPostgresError}'s message alone (one sentence,
 * no stack trace) and exits with status 1; rethrows any other error.
 *
 * @example
 * ```ts
 * const db = await startEmbeddedPostgres({ dataDir, persistent: true }).catch(exitOnEmbeddedPostgresError);
 * ```
 */
export function exitOnEmbeddedPostgresError(error: unknown): never {
  if (!(error instanceof EmbeddedPostgresError)) throw error;
  console.error(error.message);
  process.exit(1);
}
