import { spawn } from 'node:child_process';
import { platform } from 'node:os';
import type { PostgresAccount } from './account.ts';
import { EmbeddedPostgresError } from './error.ts';

/** The suffix of the build's executables. */
export const EXE = platform() === 'win32' ? '.exe' : '';

/**
 * The environment of initdb and the server: a clean one, so that neither the caller's secrets nor
 * its `PG*` variables reach them, and with the C locale, so that their messages (which `failure`
 * and the readiness check read) are in English and a `LANG` naming a locale the system lacks cannot break initdb.
 */
function serverEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH || '/usr/local/bin:/usr/bin:/bin', LC_ALL: 'C' };
  if (process.env.TZ) env.TZ = process.env.TZ;
  return env;
}

/** The one sentence that says why initdb or the server failed, from what it printed. */
export function failure(what: string, output: string, port: number, dataDir: string): EmbeddedPostgresError {
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

/** The options that run one of the build's programs as `account` (when given) in the clean environment. */
function runAs(cwd: string, account: PostgresAccount | undefined) {
  return { cwd, env: serverEnvironment(), ...(account ? { uid: account.uid, gid: account.gid } : {}) };
}

/** Runs one of the build's programs (as `account` when given) in the clean environment, output piped. */
export function spawnPostgres(
  command: string,
  args: string[],
  cwd: string,
  account: PostgresAccount | undefined,
) {
  return spawn(command, args, { ...runAs(cwd, account), stdio: ['ignore', 'pipe', 'pipe'] });
}

/** As {@link spawnPostgres}, with its input piped too (the single-user server reads SQL there). */
export function spawnPostgresWithInput(
  command: string,
  args: string[],
  cwd: string,
  account: PostgresAccount | undefined,
) {
  return spawn(command, args, { ...runAs(cwd, account), stdio: ['pipe', 'pipe', 'pipe'] });
}

/** The one sentence for a program of the build that could not be run at all. */
export function spawnFailure(
  command: string,
  error: NodeJS.ErrnoException,
  account: PostgresAccount | undefined,
) {
  const who = account ? `The ${account.name} user` : 'This user';
  return new EmbeddedPostgresError(
    `${who} cannot run ${command} (${error.code ?? error.message}): make it runnable there (a file system mounted noexec cannot run it), or set DATABASE_URL.`,
  );
}
