import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '@kit/test-support/database';

const BIN = fileURLToPath(new URL('../../bin/kit.js', import.meta.url));

/** A KIT_SECRET for the key-store commands. */
export const SECRET = 'cli-secret-0123456789-abcdefghijklmnopqrstuvwxyz';

/** Runs the `kit` command line as a user would, in a child process, with `env` added. */
export function kit(
  args: string[],
  env: Record<string, string | undefined>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, ...env } },
      (error, stdout, stderr) => {
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

type Hook = (fn: () => Promise<void>, timeout?: number) => void;

/**
 * A fresh database for one `describe`, migrated by `kit migrate` itself and dropped afterwards.
 * Pass vitest's `beforeAll` and `afterAll` (this module imports no vitest). Read its `url` inside
 * tests and hooks, once `beforeAll` has run.
 */
export function migratedDatabase(hooks: { beforeAll: Hook; afterAll: Hook }): { readonly url: string } {
  let db: TestDatabase | undefined;
  hooks.beforeAll(async () => {
    db = await createTestDatabase();
    const migrated = await kit(['migrate'], { DATABASE_URL: db.url });
    if (migrated.code !== 0) throw new Error(`kit migrate exited with ${migrated.code}: ${migrated.stderr}`);
  }, 60_000);
  hooks.afterAll(async () => {
    await db?.drop();
  });
  return {
    get url() {
      if (!db) throw new Error('the database is made in beforeAll');
      return db.url;
    },
  };
}
