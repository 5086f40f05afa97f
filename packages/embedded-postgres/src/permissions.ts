import { lstatSync, readdirSync, readlinkSync, realpathSync, type Stats, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { PostgresAccount } from './account.ts';

// What the `postgres` user may reach (the permission bits on the way), and what only root (or this
// process's user) controls: root hands directories to that user and writes files, and must not be
// led elsewhere by an entry someone else could change.

const READ = 4;
const EXECUTE = 1;

/** Whether `account` has the `wanted` permission bits on a file, by the owner/group/other rule. */
function allows(stats: Stats, account: PostgresAccount, wanted: number): boolean {
  const bits =
    stats.uid === account.uid
      ? (stats.mode >> 6) & 7
      : stats.gid === account.gid
        ? (stats.mode >> 3) & 7
        : stats.mode & 7;
  return (bits & wanted) === wanted;
}

/**
 * The first directory on the way to `path` (the root directory and `path` itself included, after
 * resolving symbolic links) that `account` may not enter, or `undefined` when it reaches `path`.
 * Judged from the permission bits; access control lists are not read.
 *
 * @example
 * ```ts
 * findBlockedDirectory('/root/kit/apps/demo/.data', account); // '/root'
 * ```
 */
export function findBlockedDirectory(path: string, account: PostgresAccount): string | undefined {
  let directory = '/';
  for (const part of ['', ...realpathSync(path).split('/').filter(Boolean)]) {
    directory = join(directory, part);
    if (!allows(statSync(directory), account, EXECUTE)) return directory;
  }
  return undefined;
}

/**
 * The first path of a PostgreSQL build (`bin`, `lib` and `share` under `installDir`) that `account`
 * cannot use: a directory on the way it may not enter, or an entry it may not read (or run, for an
 * executable). `undefined` when it can use the whole build where it is.
 */
export function findUnusableEntry(installDir: string, account: PostgresAccount): string | undefined {
  const blocked = findBlockedDirectory(installDir, account);
  if (blocked) return blocked;
  const check = (path: string): string | undefined => {
    const stats = statSync(path);
    if (stats.isDirectory()) {
      if (!allows(stats, account, READ | EXECUTE)) return path;
      for (const entry of readdirSync(path, { withFileTypes: true })) {
        // Symbolic links in the build point inside it: their targets are checked on their own.
        if (entry.isSymbolicLink()) continue;
        const inner = check(join(path, entry.name));
        if (inner) return inner;
      }
      return undefined;
    }
    return allows(stats, account, stats.mode & 0o100 ? READ | EXECUTE : READ) ? undefined : path;
  };
  for (const part of ['bin', 'lib', 'share']) {
    const unusable = check(join(installDir, part));
    if (unusable) return unusable;
  }
  return undefined;
}

/**
 * Whether an entry (its `lstat`) is one that only `owners` can change: owned by one of them and,
 * unless it is a symbolic link (whose mode means nothing), writable by no one else. A directory
 * others may write is accepted when it is sticky (as `/tmp` is): others may add entries there but
 * not rename or replace someone else's, and the entries that matter are checked on their own.
 */
export function isTrustedEntry(stats: Stats, owners: readonly number[]): boolean {
  if (!owners.includes(stats.uid)) return false;
  if (stats.isSymbolicLink() || (stats.mode & 0o022) === 0) return true;
  return stats.isDirectory() && (stats.mode & 0o1000) !== 0;
}

/** The user ids whose files root may trust: root's and, when that is another, this process's. */
export function trustedOwners(): number[] {
  const uid = process.getuid?.();
  return uid === undefined || uid === 0 ? [0] : [0, uid];
}

/**
 * The first entry on the way to `path` (the root directory and `path` itself included, when they
 * exist) that someone other than `owners` could change: an entry another user owns, or one others
 * may write (a sticky directory excepted). A symbolic link on the way must be owned by `owners`,
 * and the way to where it points is checked too. `undefined` when only `owners` control the path,
 * so that root may create, write and hand over what is there without being led elsewhere. Entries
 * that do not exist yet end the walk: whoever makes them is the caller.
 *
 * @example
 * ```ts
 * findUntrustedPath('/home/alice/kit/apps/demo/.data/postgres'); // '/home/alice' (alice owns it)
 * findUntrustedPath('/tmp/kit-test-pg-x1y2z3/data'); // undefined (/tmp is sticky)
 * ```
 */
export function findUntrustedPath(
  path: string,
  owners: readonly number[] = trustedOwners(),
  depth = 0,
): string | undefined {
  let current = '/';
  for (const part of ['', ...resolve(path).split('/').filter(Boolean)]) {
    current = join(current, part);
    const stats = lstatSync(current, { throwIfNoEntry: false });
    if (!stats) return undefined;
    if (!isTrustedEntry(stats, owners)) return current;
    if (stats.isSymbolicLink()) {
      // The link cannot be changed by others; where it points must not be either.
      if (depth >= 40) return current;
      const inner = findUntrustedPath(resolve(dirname(current), readlinkSync(current)), owners, depth + 1);
      if (inner) return inner;
    }
  }
  return undefined;
}

/**
 * Why {@link findUntrustedPath} named `path`, to follow its name in a sentence.
 *
 * @example
 * ```ts
 * `${path} ${describeUntrusted(path)}`; // '/home/alice belongs to another user (uid 1000)'
 * ```
 */
export function describeUntrusted(path: string, owners: readonly number[] = trustedOwners()): string {
  const stats = lstatSync(path, { throwIfNoEntry: false });
  if (stats && !owners.includes(stats.uid)) return `belongs to another user (uid ${stats.uid})`;
  return 'may be written by users other than its owner';
}
