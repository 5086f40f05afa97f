import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import type { PostgresAccount } from './account.ts';
import { describeFileError, EmbeddedPostgresError } from './error.ts';
import {
  describeUntrusted,
  findBlockedDirectory,
  findUntrustedPath,
  isTrustedEntry,
  trustedOwners,
} from './permissions.ts';

// As root, what the `postgres` user cannot reach in place goes to the staging root: a root-owned
// directory every user may enter, which holds a copy of the binaries and the relocated data.

/**
 * Creates `path` (or accepts it as it is) as a directory owned by root that no one else may write
 * and everyone may enter, and returns `undefined`; or says why it cannot. Anything else (someone
 * else's directory, a symbolic link, a directory others may write) is refused, and so is a path
 * whose parents someone other than root could change (a parent owned by another user, or one others
 * may write that is not sticky): root copies binaries into it that the `postgres` user then runs,
 * and whoever controls a parent could swap the directory for one of their own.
 */
function prepareRootOwnedDirectory(path: string): string | undefined {
  const untrustedParent = findUntrustedPath(dirname(path), [0]);
  if (untrustedParent) {
    return `${path} is inside ${untrustedParent}, which ${describeUntrusted(untrustedParent, [0])}`;
  }
  try {
    mkdirSync(path, { recursive: true, mode: 0o755 });
  } catch (error) {
    return `${path} cannot be created (${describeFileError(error)})`;
  }
  const stats = lstatSync(path);
  if (!stats.isDirectory() || stats.uid !== 0 || (stats.mode & 0o022) !== 0) {
    return `${path} is not a directory owned by root that no one else may write`;
  }
  // A umask such as 077 would have left it closed to the postgres user.
  if ((stats.mode & 0o777) !== 0o755) chmodSync(path, 0o755);
  return undefined;
}

/**
 * Where, as root, the PostgreSQL binaries are copied and the data is kept when the `postgres` user
 * cannot reach them in the checkout, in order of preference: `KIT_EMBEDDED_PG_DIR` alone when it is
 * set, else `/var/lib/kit-embedded-postgres`, else `kit-embedded-postgres` in the temporary
 * directory (for a read-only `/var`).
 */
export function stagingCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  if (env.KIT_EMBEDDED_PG_DIR) return [resolve(env.KIT_EMBEDDED_PG_DIR)];
  return ['/var/lib/kit-embedded-postgres', join(tmpdir(), 'kit-embedded-postgres')];
}

/**
 * The first of `candidates` that can be prepared, with its `data` directory, as a root-owned
 * directory which `account` may enter. Throws an {@link EmbeddedPostgresError} naming why none could.
 */
export function prepareStagingRoot(candidates: string[], account: PostgresAccount): string {
  const problems: string[] = [];
  for (const candidate of candidates) {
    const problem =
      prepareRootOwnedDirectory(candidate) ?? prepareRootOwnedDirectory(join(candidate, 'data'));
    if (problem) {
      problems.push(problem);
      continue;
    }
    const blocked = findBlockedDirectory(candidate, account);
    if (!blocked) return candidate;
    problems.push(`the ${account.name} user cannot enter ${blocked}`);
  }
  throw new EmbeddedPostgresError(
    `Found no directory for PostgreSQL's binaries and data that the ${account.name} user can reach (${problems.join('; ')}): set KIT_EMBEDDED_PG_DIR to a directory every user may enter, or set DATABASE_URL.`,
  );
}

/** A name for a PostgreSQL build: its npm package and version when it comes from one. */
export function installKey(installDir: string): string {
  try {
    const { name, version } = JSON.parse(readFileSync(join(installDir, '..', 'package.json'), 'utf8'));
    if (typeof name === 'string' && typeof version === 'string') {
      return `${name}@${version}`.replace('/', '+').replace(/[^\w.@+-]/g, '-');
    }
  } catch {
    // Not from a package: named after where it is.
  }
  return `postgres-${createHash('sha256').update(realpathSync(installDir)).digest('hex').slice(0, 16)}`;
}

/** Makes a copied tree readable by everyone, executables runnable by everyone, writable by root. */
function openUp(path: string): void {
  const stats = lstatSync(path);
  if (stats.isSymbolicLink()) return;
  if (stats.isDirectory()) {
    chmodSync(path, 0o755);
    for (const entry of readdirSync(path)) openUp(join(path, entry));
  } else {
    chmodSync(path, stats.mode & 0o100 ? 0o755 : 0o644);
  }
}

/**
 * Removes the temporary copies that a process killed while copying left behind. Only copies an hour
 * old: a younger one may belong to a start under way.
 */
function removeAbandonedCopies(root: string): void {
  const hourAgo = Date.now() - 3_600_000;
  for (const entry of readdirSync(root)) {
    if (!entry.startsWith('.staging-')) continue;
    const path = join(root, entry);
    if ((lstatSync(path, { throwIfNoEntry: false })?.mtimeMs ?? Infinity) < hourAgo) {
      rmSync(path, { recursive: true, force: true });
    }
  }
}

/**
 * Copies a PostgreSQL build (`bin`, `lib`, `share`) into `root`, under a directory named after the
 * build ({@link installKey}), owned by root and readable by everyone, and returns that directory.
 * Done once per version: a later call finds the copy. The copy is made in a temporary directory and
 * renamed into place, so another process never sees a partial copy, and when two processes race,
 * one rename wins and both use its copy.
 *
 * @example
 * ```ts
 * const staged = stagePostgresBinaries(installDir, '/var/lib/kit-embedded-postgres');
 * // '/var/lib/kit-embedded-postgres/@embedded-postgres+linux-x64@18.4.0-beta.17'
 * ```
 */
export function stagePostgresBinaries(installDir: string, root: string): string {
  const target = join(root, installKey(installDir));
  const complete = () => existsSync(join(target, 'bin')) && existsSync(join(target, 'share'));
  if (complete()) return checkedCopy(target);
  removeAbandonedCopies(root);
  const temporary = join(root, `.staging-${randomBytes(6).toString('hex')}`);
  try {
    mkdirSync(temporary, { mode: 0o755 });
    for (const part of ['bin', 'lib', 'share']) {
      cpSync(join(installDir, part), join(temporary, part), { recursive: true, verbatimSymlinks: true });
    }
    openUp(temporary);
    try {
      renameSync(temporary, target);
    } catch (error) {
      // Another process renamed its copy into place first: use that one.
      if (!complete()) throw error;
    }
  } catch (error) {
    throw new EmbeddedPostgresError(
      `Could not copy PostgreSQL's binaries to ${root}: ${describeFileError(error)}.`,
    );
  } finally {
    rmSync(temporary, { recursive: true, force: true });
  }
  return checkedCopy(target);
}

/**
 * The first entry of a tree (`path` included) that is not root's alone: owned by another user, or
 * writable by others. Symbolic links are not followed: their targets are entries of the tree.
 */
function findEntryNotRootsAlone(path: string): string | undefined {
  const stats = lstatSync(path, { throwIfNoEntry: false });
  // Root's set of owners is root alone; another user's (which never stages) adds their own.
  if (!stats || !isTrustedEntry(stats, trustedOwners()) || stats.mode & 0o1000) return path;
  if (stats.isDirectory()) {
    for (const entry of readdirSync(path)) {
      const inner = findEntryNotRootsAlone(join(path, entry));
      if (inner) return inner;
    }
  }
  return undefined;
}

/**
 * `target`, a copy of the binaries, once every entry of it (`bin`, `lib`, `share`) is root's alone: the `postgres` user runs them, and initdb runs the SQL in `share` as superuser,
 * so a copy someone else could have changed is refused rather than reused.
 */
function checkedCopy(target: string): string {
  const bad = findEntryNotRootsAlone(target);
  if (bad) {
    throw new EmbeddedPostgresError(
      `The copy of PostgreSQL's binaries in ${target} cannot be trusted, because ${bad} ${describeUntrusted(bad)}: remove ${target} (it is copied again on the next start).`,
    );
  }
  return target;
}

/**
 * Where a data directory that the `postgres` user cannot reach is kept instead: under `root`'s
 * `data` directory, named after the original directory and its full path (so two checkouts never
 * share a cluster).
 *
 * @example
 * ```ts
 * relocatedDataDir('/var/lib/kit-embedded-postgres', '/root/kit/apps/demo/.data/postgres');
 * // '/var/lib/kit-embedded-postgres/data/postgres-1b2c3d4e5f60'
 * ```
 */
export function relocatedDataDir(root: string, dataDir: string): string {
  const hash = createHash('sha256').update(resolve(dataDir)).digest('hex').slice(0, 12);
  return join(root, 'data', `${basename(dataDir)}-${hash}`);
}
