import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres } from './start.ts';
import type { EmbeddedDatabase } from './types.ts';

/** Options of {@link startScratchPostgres}. */
export interface ScratchPostgresOptions {
  /** The start of the directory's name in the temporary directory, e.g. `kit-test-pg-`. */
  prefix: string;
  /** Receives PostgreSQL's output, line by line. @default discarded */
  log?: (line: string) => void;
}

/** A throwaway {@link EmbeddedDatabase} and the directory made for it. */
export interface ScratchDatabase extends EmbeddedDatabase {
  /** The directory of its own in the temporary directory, removed by `stop()`. */
  scratchDir: string;
}

/**
 * Starts a throwaway PostgreSQL (no fsync, removed by `stop()`) for a test run or a benchmark, in a
 * directory of its own in the temporary directory. That directory is made atomically (mkdtemp): a
 * name guessed in the shared temporary directory could be taken first, by a link another user
 * planted. mkdtemp makes it mode 700; as root, the server runs as `postgres`, which must enter it:
 * it is opened to 755 then (still root's, so no one else can add or swap anything in it). As root,
 * when the `postgres` user cannot enter the temporary directory itself (TMPDIR inside a private
 * directory), the data is kept where it can ({@link EmbeddedDatabase.relocated} says so).
 *
 * @example
 * ```ts
 * const db = await startScratchPostgres({ prefix: 'kit-bench-pg-' });
 * // ... use db.url ...
 * await db.stop(); // the server stops, and its directory is removed
 * ```
 */
export async function startScratchPostgres(options: ScratchPostgresOptions): Promise<ScratchDatabase> {
  const scratchDir = mkdtempSync(join(tmpdir(), options.prefix));
  if (process.getuid?.() === 0) chmodSync(scratchDir, 0o755);
  const removeScratch = () => rmSync(scratchDir, { recursive: true, force: true });
  let db: EmbeddedDatabase;
  try {
    db = await startEmbeddedPostgres({
      dataDir: join(scratchDir, 'data'),
      persistent: false,
      ...(options.log ? { log: options.log } : {}),
    });
  } catch (error) {
    removeScratch();
    throw error;
  }
  return {
    ...db,
    scratchDir,
    async stop() {
      try {
        await db.stop();
      } finally {
        removeScratch();
      }
    },
  };
}
