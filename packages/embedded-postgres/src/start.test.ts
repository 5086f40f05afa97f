import { execFile } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  lchownSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { query, startedDatabases } from '../test/databases.ts';
import { isRoot, temporaryDirs } from '../test/fixtures.ts';
import { ensurePostgresAccount } from './account.ts';
import { describeEmbeddedPostgres } from './cli-output.ts';
import { EmbeddedPostgresError } from './error.ts';
import { packagedInstallDir } from './install-dir.ts';
import { relocatedDataDir } from './staging.ts';
import { startEmbeddedPostgres } from './start.ts';

const dirs = temporaryDirs('kit-embedded-pg-');
const temporaryDir = dirs.make;
const { started, start, stopAll } = startedDatabases();
afterEach(async () => {
  await stopAll();
  dirs.removeAll();
});

describe('startEmbeddedPostgres', () => {
  it('does not depend on the locale the environment names, and speaks UTF-8', async () => {
    const saved = { LC_ALL: process.env.LC_ALL, LANG: process.env.LANG };
    // A container often sets a locale it does not have installed: initdb used to refuse it.
    process.env.LC_ALL = 'xx_XX.UTF-8';
    process.env.LANG = 'xx_XX.UTF-8';
    try {
      const db = await start({ dataDir: join(temporaryDir(0o755), 'pg'), persistent: false });
      const [row] = await query<{ encoding: string; upper: string; messages: string }>(
        db.url,
        "select current_setting('server_encoding') as encoding, upper('é') as upper, current_setting('lc_messages') as messages",
      );
      expect(row).toEqual({ encoding: 'UTF8', upper: 'É', messages: 'C' });
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  it('says in one sentence that the port is taken, and leaves no data behind', async () => {
    const holder: Server = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as { port: number }).port;
    const dataDir = join(temporaryDir(0o755), 'pg');
    try {
      const attempt = startEmbeddedPostgres({ dataDir, port, persistent: false });
      await expect(attempt).rejects.toThrow(
        new EmbeddedPostgresError(
          `The embedded PostgreSQL cannot listen on 127.0.0.1:${port}, which is already in use: stop what listens there or choose another port.`,
        ),
      );
      expect(existsSync(dataDir)).toBe(false);
    } finally {
      holder.close();
    }
  });

  it('says in one sentence that initdb cannot be run, and leaves no data behind', async () => {
    const installDir = join(temporaryDir(0o755), 'native');
    for (const part of ['bin', 'lib', 'share']) mkdirSync(join(installDir, part), { recursive: true });
    // Not runnable by anyone (as on a file system mounted noexec).
    writeFileSync(join(installDir, 'bin', 'initdb'), '#!/bin/sh\n', { mode: 0o644 });
    const dataDir = join(temporaryDir(0o755), 'pg');
    const who = isRoot ? 'The postgres user' : 'This user';
    await expect(startEmbeddedPostgres({ dataDir, persistent: false, installDir })).rejects.toThrow(
      new EmbeddedPostgresError(
        `${who} cannot run ${join(installDir, 'bin', 'initdb')} (EACCES): make it runnable there (a file system mounted noexec cannot run it), or set DATABASE_URL.`,
      ),
    );
    expect(existsSync(dataDir)).toBe(false);
  });

  it('prints the one sentence alone, with no stack trace, when a program exits on it', async () => {
    const holder: Server = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as { port: number }).port;
    const module = new URL('./index.ts', import.meta.url).href;
    const dataDir = join(temporaryDir(0o755), 'pg');
    const code = `const m = await import(${JSON.stringify(module)});
      await m.startEmbeddedPostgres({ dataDir: ${JSON.stringify(dataDir)}, port: ${port}, persistent: false })
        .catch(m.exitOnEmbeddedPostgresError);`;
    try {
      const outcome = await promisify(execFile)(process.execPath, [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        code,
      ]).then(
        () => ({ code: 0, stderr: '' }),
        (error: { code: number; stderr: string }) => error,
      );
      expect(outcome.code).toBe(1);
      expect(outcome.stderr).toBe(
        `The embedded PostgreSQL cannot listen on 127.0.0.1:${port}, which is already in use: stop what listens there or choose another port.\n`,
      );
    } finally {
      holder.close();
    }
  });

  it.skipIf(!isRoot)(
    'says in one sentence that the disk is full, and leaves no data behind (root: mounts a tmpfs)',
    async (ctx) => {
      const mountPoint = temporaryDir(0o755);
      try {
        await promisify(execFile)('mount', ['-t', 'tmpfs', '-o', 'size=3m,mode=755', 'tmpfs', mountPoint]);
      } catch {
        ctx.skip('mounting a small tmpfs is not permitted here (a container without CAP_SYS_ADMIN)');
      }
      try {
        const dataDir = join(mountPoint, 'pg');
        await expect(startEmbeddedPostgres({ dataDir, persistent: false })).rejects.toThrow(
          new EmbeddedPostgresError(
            `Initialising the embedded PostgreSQL failed because the disk holding ${dataDir} is full: free some space there and try again.`,
          ),
        );
        expect(existsSync(dataDir)).toBe(false);
      } finally {
        await promisify(execFile)('umount', [mountPoint]);
      }
    },
  );

  describe.skipIf(!isRoot)('as root, from a checkout in a private directory (mode 700)', () => {
    // Tests run as root here; the skip says why elsewhere: only root runs the server as `postgres`.
    let privateDir: string;
    let installDir: string;
    let stagingDir: string;
    beforeAll(async () => {
      privateDir = mkdtempSync(join(tmpdir(), 'kit-private-'));
      chmodSync(privateDir, 0o700);
      // The build inside the private directory, as node_modules is in a clone there.
      installDir = join(privateDir, 'kit', 'node_modules', 'native');
      cpSync(await packagedInstallDir(), installDir, { recursive: true, verbatimSymlinks: true });
      stagingDir = mkdtempSync(join(tmpdir(), 'kit-staging-'));
      chmodSync(stagingDir, 0o755);
    });
    afterAll(() => {
      rmSync(privateDir, { recursive: true, force: true });
      rmSync(stagingDir, { recursive: true, force: true });
    });

    it('runs as the postgres user from a copy of the binaries, with the data linked from the checkout', async () => {
      const requested = join(privateDir, 'kit', 'apps', 'demo', '.data', 'postgres');
      // What an earlier failed start left: an empty directory, which the link replaces.
      mkdirSync(requested, { recursive: true });
      const db = await start({ dataDir: requested, persistent: true, installDir, stagingDir });
      expect(db.relocated).toEqual({ requested, blockedAt: privateDir });
      expect(db.dataDir.startsWith(join(stagingDir, 'data', 'postgres-'))).toBe(true);
      expect(lstatSync(requested).isSymbolicLink()).toBe(true);
      expect(readlinkSync(requested)).toBe(db.dataDir);
      expect(statSync(db.dataDir).mode & 0o777).toBe(0o700);
      expect(statSync(`${requested}.password`).mode & 0o777).toBe(0o600);
      expect(describeEmbeddedPostgres(db, requested, 'apps/demo/.data/postgres')).toBe(
        `using an embedded PostgreSQL with its data in ${db.dataDir} (apps/demo/.data/postgres links there): as root the server runs as the postgres user, who cannot enter ${privateDir}`,
      );

      const postgres = ensurePostgresAccount();
      expect(statSync(db.dataDir).uid).toBe(postgres.uid);
      const pid = Number(readFileSync(join(db.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      const uid = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
      expect(Number(uid)).toBe(postgres.uid);
      // The server runs from the root-owned copy of the binaries, not from the private directory.
      const executable = readlinkSync(`/proc/${pid}/exe`);
      expect(executable).toMatch(/\/postgres-[0-9a-f]{16}\/bin\/postgres$/);
      expect(executable.startsWith(`${stagingDir}/`)).toBe(true);
      expect(statSync(executable).uid).toBe(0);

      // Kept between runs: the next start finds the data through the link.
      await query(db.url, 'create table kept (id int)');
      await db.stop();
      started.splice(0);
      const again = await start({ dataDir: requested, persistent: true, installDir, stagingDir });
      expect(again.dataDir).toBe(db.dataDir);
      expect(again.relocated).toEqual({ requested, blockedAt: privateDir });
      expect(await query(again.url, 'select count(*)::int as n from kept')).toEqual([{ n: 0 }]);
    });

    it('removes a throwaway cluster and leaves no link', async () => {
      const requested = join(privateDir, 'tmp', 'kit-test-pg');
      const db = await start({ dataDir: requested, persistent: false, installDir, stagingDir });
      expect(db.relocated?.blockedAt).toBe(privateDir);
      expect(existsSync(requested)).toBe(false);
      await query(db.url, 'select 1');
      await db.stop();
      started.splice(0);
      expect(existsSync(db.dataDir)).toBe(false);
    });

    it('refuses, in one sentence, a cluster already in the private directory', async () => {
      const requested = join(privateDir, 'old', 'postgres');
      mkdirSync(requested, { recursive: true });
      writeFileSync(join(requested, 'PG_VERSION'), '18\n');
      await expect(
        startEmbeddedPostgres({ dataDir: requested, persistent: true, installDir, stagingDir }),
      ).rejects.toThrow(
        new EmbeddedPostgresError(
          `The PostgreSQL data in ${requested} cannot be used as root, because the postgres user the server runs as cannot enter ${privateDir}: move it to ${relocatedDataDir(stagingDir, requested)} and leave a symbolic link to it in its place, or run as another user.`,
        ),
      );
    });
  });
  describe.skipIf(!isRoot)('as root, in a checkout another user could change', () => {
    // Tests run as root here; elsewhere the skip says why: only root hands directories to `postgres`.
    const alice = { uid: 4242, gid: 4242 }; // a user who owns nothing here
    let stagingDir: string;
    beforeAll(() => {
      stagingDir = mkdtempSync(join(tmpdir(), 'kit-staging-'));
      chmodSync(stagingDir, 0o755);
    });
    afterAll(() => {
      rmSync(stagingDir, { recursive: true, force: true });
    });
    /** A directory root would hand over, were it led there: not empty, no PG_VERSION, root's. */
    function victim(): string {
      const dir = join(temporaryDir(0o755), 'etc');
      mkdirSync(dir);
      writeFileSync(join(dir, 'passwd'), 'root:x:0:0::/root:/bin/sh\n');
      return dir;
    }
    const refusal = (dataDir: string, why: string) =>
      new EmbeddedPostgresError(
        `As root, the embedded PostgreSQL does not use ${dataDir}, because ${why}: run it as the user who owns the checkout, or set DATABASE_URL.`,
      );

    it('refuses a link planted in a checkout another user owns, and hands nothing over', async () => {
      const checkout = join(temporaryDir(0o755), 'kit');
      mkdirSync(join(checkout, 'apps', 'demo', '.data'), { recursive: true });
      chownSync(checkout, alice.uid, alice.gid);
      const target = victim();
      const requested = join(checkout, 'apps', 'demo', '.data', 'postgres');
      symlinkSync(target, requested);
      lchownSync(requested, alice.uid, alice.gid);
      await expect(
        startEmbeddedPostgres({ dataDir: requested, persistent: true, stagingDir }),
      ).rejects.toThrow(
        refusal(
          requested,
          `${checkout} belongs to another user (uid ${alice.uid}), so another user could point it at a directory or file root would then hand over or overwrite`,
        ),
      );
      expect(statSync(target).uid).toBe(0);
      expect(existsSync(`${requested}.password`)).toBe(false);
    });

    it('refuses a link of another user in a directory of its own, and one of root that leads elsewhere', async () => {
      const data = join(temporaryDir(0o755), '.data');
      mkdirSync(data);
      const target = victim();
      const requested = join(data, 'postgres');
      symlinkSync(target, requested);
      lchownSync(requested, alice.uid, alice.gid);
      await expect(
        startEmbeddedPostgres({ dataDir: requested, persistent: true, stagingDir }),
      ).rejects.toThrow(
        refusal(requested, `it is a symbolic link that belongs to another user (uid ${alice.uid})`),
      );
      // Root's own link, but not one the demo made: only its data directory under the staging root is followed.
      lchownSync(requested, 0, 0);
      await expect(
        startEmbeddedPostgres({ dataDir: requested, persistent: true, stagingDir }),
      ).rejects.toThrow(
        new EmbeddedPostgresError(
          `As root, the embedded PostgreSQL follows the symbolic link ${requested} only to the directory it made for the data under ${join(stagingDir, 'data')}, not to ${target}: remove the link (to keep the data elsewhere, set KIT_EMBEDDED_PG_DIR to a directory owned by root there), or set DATABASE_URL.`,
        ),
      );
      expect(statSync(target).uid).toBe(0);
    });

    it('refuses a directory that holds something but no cluster, before handing it over', async () => {
      const requested = victim();
      await expect(
        startEmbeddedPostgres({ dataDir: requested, persistent: true, stagingDir }),
      ).rejects.toThrow(
        new EmbeddedPostgresError(`${requested} holds no PostgreSQL cluster but is not empty: remove it.`),
      );
      expect(statSync(requested).uid).toBe(0);
      expect(readFileSync(join(requested, 'passwd'), 'utf8')).toBe('root:x:0:0::/root:/bin/sh\n');
    });

    it('neither writes through nor reads a password file that is a link or is not its own', async () => {
      const data = temporaryDir(0o755);
      const requested = join(data, 'postgres');
      const precious = join(temporaryDir(0o755), 'shadow');
      writeFileSync(precious, 'keep me\n', { mode: 0o600 });
      symlinkSync(precious, `${requested}.password`);
      const message = new EmbeddedPostgresError(
        `${requested}.password is not a regular file owned by this user, so the embedded PostgreSQL's password is not read from it: remove it, or set DATABASE_URL.`,
      );
      await expect(
        startEmbeddedPostgres({ dataDir: requested, persistent: true, stagingDir }),
      ).rejects.toThrow(message);
      expect(readFileSync(precious, 'utf8')).toBe('keep me\n');
      rmSync(`${requested}.password`);
      writeFileSync(`${requested}.password`, 'chosen-by-alice\n', { mode: 0o600 });
      chownSync(`${requested}.password`, alice.uid, alice.gid);
      await expect(
        startEmbeddedPostgres({ dataDir: requested, persistent: true, stagingDir }),
      ).rejects.toThrow(message);
      expect(existsSync(requested)).toBe(false);
    });

    it('follows the link it made under the staging root, in a checkout of its own', async () => {
      const data = join(temporaryDir(0o755), '.data');
      mkdirSync(data);
      const requested = join(data, 'postgres');
      const relocated = relocatedDataDir(stagingDir, requested);
      symlinkSync(relocated, requested);
      const db = await start({ dataDir: requested, persistent: true, stagingDir });
      expect(db.dataDir).toBe(relocated);
      expect(statSync(relocated).uid).toBe(ensurePostgresAccount().uid);
      expect(statSync(`${requested}.password`).mode & 0o777).toBe(0o600);
      await query(db.url, 'select 1');
      await db.stop();
      started.splice(0);
      rmSync(relocated, { recursive: true, force: true });
    });
  });
});
