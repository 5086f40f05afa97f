import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PostgresAccount } from './account.ts';
import { EmbeddedPostgresError } from './error.ts';
import { EXE, failure, spawnFailure, spawnPostgres } from './spawn.ts';

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
export async function stopLeftover(dataDir: string): Promise<void> {
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
 * Starts the server on `dataDir`, listening on 127.0.0.1 only and on no Unix socket, and resolves
 * once it accepts connections (within 60 seconds); its output keeps going to `log`.
 */
export async function startServer(options: {
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
