import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { ensurePostgresAccount } from './account.ts';
import { placeData } from './data-dir.ts';
import { initialise, resetSuperuserPassword } from './initdb.ts';
import { packagedInstallDir } from './install-dir.ts';
import { readPasswordFile, writePasswordFile } from './password-file.ts';
import { findUnusableEntry } from './permissions.ts';
import { startServer, stopLeftover } from './server.ts';
import { prepareStagingRoot, stagePostgresBinaries, stagingCandidates } from './staging.ts';
import type { EmbeddedDatabase, EmbeddedPostgresOptions } from './types.ts';

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
  // Starting afresh, the old password is not carried over to the new cluster.
  const kept = options.persistent && !options.fresh ? readPasswordFile(passwordFile) : '';
  const password = kept || randomBytes(24).toString('base64url');

  await stopLeftover(dataDir);
  const cleanUp = () => {
    if (options.persistent) return;
    rmSync(dataDir, { recursive: true, force: true });
  };
  let setAside: string | undefined;
  try {
    // A throwaway cluster left by a process killed before stop() has a password nobody kept.
    if (!options.persistent) rmSync(dataDir, { recursive: true, force: true });
    if (options.persistent && options.fresh && existsSync(`${dataDir}/PG_VERSION`)) {
      setAside = `${dataDir}.set-aside-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      log(`starting afresh: moving the existing cluster to ${setAside}`);
      renameSync(dataDir, setAside);
    }
    if (!existsSync(`${dataDir}/PG_VERSION`)) {
      mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      if (account) chownSync(dataDir, account.uid, account.gid);
      // Written first: a start that fails after initdb leaves a cluster whose password is on record.
      if (options.persistent && !kept) writePasswordFile(passwordFile, password);
      await initialise({ binDir, dataDir, password, persistent: options.persistent, account, log });
    } else if (!kept) {
      // A cluster whose password is not on record (its file deleted; or, as root, a checkout deleted
      // and cloned again at the same path, its data still under the staging root): keep the data
      // and give the superuser a new password, recorded only once the cluster has it.
      log(`${passwordFile} is missing: giving the existing cluster's superuser a new password`);
      await resetSuperuserPassword({ binDir, dataDir, password, account, log });
      writePasswordFile(passwordFile, password);
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
    ...(setAside ? { setAside } : {}),
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
