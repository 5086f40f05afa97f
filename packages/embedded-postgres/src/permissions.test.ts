import { chmodSync, chownSync, lchownSync, mkdirSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fakeBuild, isRoot, stranger, temporaryDirs } from '../test/fixtures.ts';
import { findBlockedDirectory, findUntrustedPath, findUnusableEntry } from './permissions.ts';

const dirs = temporaryDirs('kit-pg-access-');
afterEach(dirs.removeAll);
const temporaryDir = dirs.make;

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
