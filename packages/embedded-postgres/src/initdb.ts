import { chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { PostgresAccount } from './account.ts';
import { EXE, failure, spawnFailure, spawnPostgres, spawnPostgresWithInput } from './spawn.ts';

/**
 * Runs initdb on the empty `dataDir`: a `postgres` superuser with `password`, UTF-8 with the builtin
 * C.UTF-8 locale, and no fsync for a throwaway cluster. Fails with the one sentence of `failure`.
 */
export async function initialise(options: {
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

/**
 * Gives the `postgres` superuser of the existing cluster in `dataDir` a new `password`, through the
 * single-user server (which needs no login): for a cluster whose password is no longer on record,
 * as when a checkout was deleted and cloned again while, as root, its data lived on under the
 * staging root. The server must not be running. The password travels on the program's input, never
 * in its arguments; any error (a cluster of another PostgreSQL version, say) ends it with the one
 * sentence of `failure`.
 */
export async function resetSuperuserPassword(options: {
  binDir: string;
  dataDir: string;
  password: string;
  account: PostgresAccount | undefined;
  log: (line: string) => void;
}): Promise<void> {
  const postgres = join(options.binDir, `postgres${EXE}`);
  await new Promise<void>((resolvePromise, reject) => {
    const child = spawnPostgresWithInput(
      postgres,
      [
        '--single',
        '-D',
        options.dataDir,
        '-c',
        'exit_on_error=on',
        '-c',
        'lc_messages=C',
        // Neither logged as it runs nor quoted beside an error: the statement holds the password.
        '-c',
        'log_statement=none',
        '-c',
        'log_min_error_statement=panic',
        'postgres',
      ],
      options.dataDir,
      options.account,
    );
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString('utf8');
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('error', (error) => reject(spawnFailure(postgres, error, options.account)));
    child.once('close', (code) => {
      // What it printed is the server's banner and any error: no statement is echoed or quoted.
      for (const line of output.trimEnd().split('\n')) options.log(line);
      if (code === 0) resolvePromise();
      else reject(failure('Setting a new password on the embedded PostgreSQL', output, 0, options.dataDir));
    });
    // A base64url password needs no quoting beyond the literal's own quotes.
    child.stdin.end(`ALTER ROLE postgres PASSWORD '${options.password}'\n`);
  });
}
