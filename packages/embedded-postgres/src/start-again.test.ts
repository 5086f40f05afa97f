import { appendFileSync, cpSync, existsSync, mkdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { query, startedDatabases } from '../test/databases.ts';
import { isRoot, temporaryDirs } from '../test/fixtures.ts';
import { packagedInstallDir } from './install-dir.ts';
import { startEmbeddedPostgres } from './start.ts';

// Starting over an existing cluster: its data kept (a lost password replaced), or, with `fresh`,
// the cluster set aside and a new one made.

const dirs = temporaryDirs('kit-embedded-pg-');
const temporaryDir = dirs.make;
const { started, start, stopAll } = startedDatabases();
afterEach(async () => {
  await stopAll();
  dirs.removeAll();
});

describe('startEmbeddedPostgres over an existing cluster', () => {
  it('keeps a cluster whose password file was deleted, and gives its superuser a new password', async () => {
    const dataDir = join(temporaryDir(0o755), 'pg');
    const db = await start({ dataDir, persistent: true });
    await query(db.url, 'create table kept (id int); insert into kept values (7)');
    await db.stop();
    started.splice(0);
    rmSync(`${dataDir}.password`);
    // A cluster set to log every statement still does not log the one that sets the password.
    appendFileSync(join(dataDir, 'postgresql.conf'), "\nlog_statement = 'all'\n");

    const lines: string[] = [];
    const again = await start({ dataDir, persistent: true, log: (line) => lines.push(line) });
    expect(again.url).not.toBe(db.url);
    expect(await query(again.url, 'select id from kept')).toEqual([{ id: 7 }]);
    // The new password is on record for the next start, and the old one no longer logs in.
    const recorded = readFileSync(`${dataDir}.password`, 'utf8').trim();
    expect(new URL(again.url).password).toBe(recorded);
    await expect(
      query(db.url.replace(/:\d+\//, `:${new URL(again.url).port}/`), 'select 1'),
    ).rejects.toMatchObject({ code: '28P01' });
    // Nothing it logged holds either password.
    expect(lines.join('\n')).toContain(`${dataDir}.password is missing`);
    for (const secret of [recorded, new URL(db.url).password]) expect(lines.join('\n')).not.toContain(secret);
  });

  it.each([
    ['its password on record', false],
    ['its password file deleted', true],
  ])(
    'with fresh, moves a cluster (%s) aside, deletes nothing, and makes a new one with a new password',
    async (_, deletePassword) => {
      const dataDir = join(temporaryDir(0o755), 'pg');
      const db = await start({ dataDir, persistent: true });
      await query(db.url, 'create table kept (id int)');
      await db.stop();
      started.splice(0);
      if (deletePassword) rmSync(`${dataDir}.password`);

      const lines: string[] = [];
      const again = await start({ dataDir, persistent: true, fresh: true, log: (line) => lines.push(line) });
      expect(again.setAside).toMatch(new RegExp(`^${dataDir}\\.set-aside-`));
      expect(
        await query(again.url, "select count(*)::int as n from pg_tables where tablename = 'kept'"),
      ).toEqual([{ n: 0 }]);
      expect(existsSync(join(again.setAside!, 'PG_VERSION'))).toBe(true);
      const recorded = readFileSync(`${dataDir}.password`, 'utf8').trim();
      expect(new URL(again.url).password).toBe(recorded);
      expect(recorded).not.toBe(new URL(db.url).password);
      expect(lines.join('\n')).toContain('starting afresh: moving the existing cluster to');
      for (const secret of [recorded, new URL(db.url).password])
        expect(lines.join('\n')).not.toContain(secret);
    },
  );

  it('with fresh and no cluster yet, makes one and sets nothing aside', async () => {
    const dataDir = join(temporaryDir(0o755), 'pg');
    const db = await start({ dataDir, persistent: true, fresh: true });
    expect(db.setAside).toBeUndefined();
    expect(await query(db.url, 'select 1 as one')).toEqual([{ one: 1 }]);
  });

  it('starts a throwaway cluster afresh over a cluster already in its directory', async () => {
    const dataDir = join(temporaryDir(0o755), 'pg');
    const first = await startEmbeddedPostgres({ dataDir, persistent: true });
    await query(first.url, 'create table left_behind (id int)');
    await first.stop();
    rmSync(`${dataDir}.password`);
    const db = await start({ dataDir, persistent: false });
    expect(
      await query(db.url, "select count(*)::int as n from pg_tables where tablename = 'left_behind'"),
    ).toEqual([{ n: 0 }]);
  });

  it.skipIf(!isRoot)(
    'as root, finds its data again when a checkout in a private directory is deleted and cloned again at the same path',
    async () => {
      // Tests run as root here; elsewhere the skip says why: only root keeps data under a staging root.
      const privateDir = temporaryDir(0o700);
      const stagingDir = temporaryDir(0o755);
      // The build inside the private directory, as node_modules is in a clone there.
      const installDir = join(privateDir, 'kit', 'node_modules', 'native');
      cpSync(await packagedInstallDir(), installDir, { recursive: true, verbatimSymlinks: true });
      const requested = join(privateDir, 'clone', 'apps', 'demo', '.data', 'postgres');
      mkdirSync(join(requested, '..'), { recursive: true });
      const db = await start({ dataDir: requested, persistent: true, installDir, stagingDir });
      expect(db.relocated?.blockedAt).toBe(privateDir);
      await query(db.url, 'create table kept (id int); insert into kept values (7)');
      await db.stop();
      started.splice(0);
      // The clone goes, its link and password with it; the data stays under the staging root.
      rmSync(join(privateDir, 'clone'), { recursive: true });
      mkdirSync(join(requested, '..'), { recursive: true });
      expect(existsSync(join(db.dataDir, 'PG_VERSION'))).toBe(true);

      const again = await start({ dataDir: requested, persistent: true, installDir, stagingDir });
      expect(again.dataDir).toBe(db.dataDir);
      expect(readlinkSync(requested)).toBe(db.dataDir);
      expect(await query(again.url, 'select id from kept')).toEqual([{ id: 7 }]);
      expect(new URL(again.url).password).toBe(readFileSync(`${requested}.password`, 'utf8').trim());
    },
  );
});
