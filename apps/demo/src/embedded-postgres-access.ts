import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  type Stats,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { EmbeddedPostgresError } from './embedded-postgres-error.ts';

// PostgreSQL refuses to run as root. When the demo or the tests run as root, the server runs as the
// `postgres` system user instead, and that user must reach both the binaries and the data. In a
// checkout inside a private directory (a container's /root, mode 700) it reaches neither: this file
// finds out, and puts what it cannot reach where it can.

/**
 * The system account PostgreSQL runs as when the caller is root. Only the primary group counts:
 * when Node switches user for a child process, libuv drops the supplementary groups.
 */
export interface PostgresAccount {
  name: string;
  uid: number;
  gid: number;
}

/** Runs a command and returns its standard output; throws when it fails. */
export type RunCommand = (command: string, args: string[]) => string;

const runCommand: RunCommand = (command, args) =>
  execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

function lookUpAccount(name: string, run: RunCommand): PostgresAccount | undefined {
  try {
    const uid = Number(run('id', ['-u', name]).trim());
    const gid = Number(run('id', ['-g', name]).trim());
    if (Number.isInteger(uid) && Number.isInteger(gid) && uid !== 0) return { name, uid, gid };
  } catch {
    // No such user.
  }
  return undefined;
}

/**
 * The `postgres` system account, created when missing (with Debian's `useradd`, else BusyBox's
 * `adduser`, as Alpine has). Throws an {@link EmbeddedPostgresError} when there is none and none can
 * be created.
 *
 * @param run runs a command (replaceable in tests)
 * @example
 * ```ts
 * const account = ensurePostgresAccount(); // { name: 'postgres', uid: 101, gid: 104 }
 * ```
 */
export function ensurePostgresAccount(name = 'postgres', run: RunCommand = runCommand): PostgresAccount {
  const existing = lookUpAccount(name, run);
  if (existing) return existing;
  const home = '/var/lib/postgresql';
  const ways: [string, string[]][][] = [
    [
      ['groupadd', ['--system', name]],
      [
        'useradd',
        [
          '--system',
          '--gid',
          name,
          '--home-dir',
          home,
          '--no-create-home',
          '--shell',
          '/usr/sbin/nologin',
          name,
        ],
      ],
    ],
    [
      ['addgroup', ['-S', name]],
      ['adduser', ['-S', '-D', '-H', '-h', home, '-s', '/sbin/nologin', '-G', name, name]],
    ],
  ];
  for (const steps of ways) {
    for (const [command, args] of steps) {
      try {
        run(command, args);
      } catch {
        // The group may exist already, or the tool may be missing: the look-up below decides.
      }
    }
    const created = lookUpAccount(name, run);
    if (created) return created;
  }
  throw new EmbeddedPostgresError(
    `PostgreSQL refuses to run as root and there is no "${name}" user to run it as, nor could useradd or adduser create one: create that user, run as another user than root, or set DATABASE_URL.`,
  );
}

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

/** A short reason for a failed file operation, without a stack trace. */
export function describeFileError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC') return 'the disk is full';
  if (code === 'EROFS') return 'the file system is read-only';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOENT') return 'a directory on the way does not exist';
  return code ?? String(error);
}

/**
 * Whether an entry (its `lstat`) is one that only `owners` can change: owned by one of them and,
 * unless it is a symbolic link (whose mode means nothing), writable by no one else. A directory
 * others may write is accepted when it is sticky (as `/tmp` is): others may add entries there but
 * not rename or replace someone else's, and the entries that matter are checked on their own.
 */
function isTrustedEntry(stats: Stats, owners: readonly number[]): boolean {
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
