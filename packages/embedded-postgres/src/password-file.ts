import { lstatSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { describeFileError, EmbeddedPostgresError } from './error.ts';

/**
 * The superuser password kept in `path`, or `''` when there is none. Read only from a regular file
 * this process's user owns (looked at with lstat: a symbolic link is not followed), so that nobody
 * else can choose the password or point root at a file to read.
 */
export function readPasswordFile(path: string): string {
  const stats = lstatSync(path, { throwIfNoEntry: false });
  if (!stats) return '';
  const uid = process.getuid?.();
  if (!stats.isFile() || (uid !== undefined && stats.uid !== uid)) {
    throw new EmbeddedPostgresError(
      `${path} is not a regular file owned by this user, so the embedded PostgreSQL's password is not read from it: remove it, or set DATABASE_URL.`,
    );
  }
  return readFileSync(path, 'utf8').trim();
}

/**
 * Writes the superuser password to `path`, readable by its owner only: whatever is there is removed
 * first (a symbolic link itself, not what it points to) and the file is created anew, failing if
 * something appears in between (O_EXCL), so the write never goes through a planted link.
 */
export function writePasswordFile(path: string, password: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new EmbeddedPostgresError(`Could not replace ${path}: ${describeFileError(error)}.`);
    }
  }
  try {
    writeFileSync(path, `${password}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    throw new EmbeddedPostgresError(`Could not write ${path}: ${describeFileError(error)}.`);
  }
}
