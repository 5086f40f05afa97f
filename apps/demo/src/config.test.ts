import {
  chmodSync,
  chownSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSecret } from '@kit/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';

/** The demo's `.data/secret`: made private, reused, and refused when others can read it. */
describe.skipIf(process.platform === 'win32')('loadConfig and .data/secret', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kit-demo-config-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const secretPath = () => join(dir, 'secret');

  it('generates a secret readable by its owner only, and reuses it', async () => {
    const first = await loadConfig({}, dir);
    expect(statSync(secretPath()).mode & 0o777).toBe(0o600);
    // Only the start that generated it says so: the embedded database starts afresh then.
    expect(first.secretIsNew).toBe(true);
    const again = await loadConfig({}, dir);
    expect(again.secret).toBe(first.secret);
    expect(again.secretIsNew).toBe(false);
    expect((await loadConfig({ KIT_SECRET: generateSecret() }, join(dir, 'other'))).secretIsNew).toBe(false);
  });

  it.each([0o644, 0o640, 0o604, 0o620, 0o602, 0o660])(
    'refuses an existing secret file of mode %o, naming the fix, without touching it',
    async (mode) => {
      const secret = generateSecret();
      writeFileSync(secretPath(), `${secret}\n`);
      chmodSync(secretPath(), mode);
      const error = (await loadConfig({}, dir).then(
        () => undefined,
        (e: unknown) => e,
      )) as Error;
      expect(error).toBeInstanceOf(Error);
      expect(error.message).toContain(secretPath());
      expect(error.message).toContain(`chmod 600 ${secretPath()}`);
      expect(error.message).not.toContain(secret);
      // Refused, not repaired: the file is as it was.
      expect(statSync(secretPath()).mode & 0o777).toBe(mode);
      expect(readFileSync(secretPath(), 'utf8')).toBe(`${secret}\n`);
    },
  );

  it.each([0o600, 0o400])('accepts an existing secret file of mode %o', async (mode) => {
    const secret = generateSecret();
    writeFileSync(secretPath(), `${secret}\n`);
    chmodSync(secretPath(), mode);
    expect((await loadConfig({}, dir)).secret).toBe(secret);
  });

  it('does not read the file when KIT_SECRET is set', async () => {
    writeFileSync(secretPath(), 'old\n');
    chmodSync(secretPath(), 0o644);
    const secret = generateSecret();
    expect((await loadConfig({ KIT_SECRET: secret }, dir)).secret).toBe(secret);
  });
});

/** The files of `.data/` must be this user's own regular files: a link or another user's file is refused. */
describe.skipIf(process.platform === 'win32')('loadConfig and who owns the files of .data/', () => {
  const isRoot = process.getuid?.() === 0;
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kit-demo-config-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const failure = (env: NodeJS.ProcessEnv = {}) =>
    loadConfig(env, dir).then(
      () => undefined,
      (e: unknown) => e as Error,
    );

  it('refuses a secret that is a symbolic link, even to a private file, and never writes through one', async () => {
    const elsewhere = join(mkdtempSync(join(tmpdir(), 'kit-demo-elsewhere-')), 'file');
    try {
      writeFileSync(elsewhere, `${generateSecret()}\n`, { mode: 0o600 });
      symlinkSync(elsewhere, join(dir, 'secret'));
      expect((await failure())?.message).toBe(
        `${join(dir, 'secret')} is a symbolic link; anyone who chose what it holds could forge refresh tokens. Replace it with a regular file of your own, or delete it.`,
      );
      // A link to nothing yet: refused too, and nothing is created where it points.
      rmSync(elsewhere);
      expect((await failure())?.message).toContain('is a symbolic link');
      expect(existsSync(elsewhere)).toBe(false);
    } finally {
      rmSync(join(elsewhere, '..'), { recursive: true, force: true });
    }
  });

  it.skipIf(!isRoot)("refuses another user's secret, naming the fix (root only: makes one)", async () => {
    writeFileSync(join(dir, 'secret'), `${generateSecret()}\n`, { mode: 0o600 });
    chownSync(join(dir, 'secret'), 4242, 4242);
    expect((await failure())?.message).toBe(
      `${join(dir, 'secret')} belongs to another user (uid 4242), not to the user running the demo (uid 0); that user could forge refresh tokens. If the file is yours, run \`chown 0 ${join(dir, 'secret')}\`; otherwise delete it (a new secret is generated and every session ends; the embedded PostgreSQL, whose signing keys were encrypted under the old one, is moved aside and started afresh).`,
    );
  });

  it('refuses an embedded PostgreSQL password file others may read, unless DATABASE_URL is set', async () => {
    const path = join(dir, 'postgres.password');
    writeFileSync(path, 'superuser-password\n');
    chmodSync(path, 0o644);
    const error = await failure();
    expect(error?.message).toBe(
      `${path} can be read or changed by users other than its owner (mode 0644); anyone who read it could log in to the embedded PostgreSQL as its superuser, who can run programs as the server's user. If nobody else can have read it, run \`chmod 600 ${path}\`; otherwise delete it together with the postgres directory beside it (the demo starts afresh with a new cluster and password).`,
    );
    expect(error?.message).not.toContain('superuser-password');
    expect(statSync(path).mode & 0o777).toBe(0o644);
    // With DATABASE_URL nothing embedded starts: the file is not used, nor checked.
    expect(await failure({ DATABASE_URL: 'postgres://127.0.0.1/x' })).toBeUndefined();
    chmodSync(path, 0o600);
    expect(await failure()).toBeUndefined();
  });

  it("refuses an embedded PostgreSQL password file that is a link, or (root only) another user's", async () => {
    const path = join(dir, 'postgres.password');
    symlinkSync('/dev/null', path);
    expect((await failure())?.message).toContain(`${path} is a symbolic link;`);
    if (!isRoot) return;
    rmSync(path);
    writeFileSync(path, 'x\n', { mode: 0o600 });
    chownSync(path, 4242, 4242);
    expect((await failure())?.message).toContain(`${path} belongs to another user (uid 4242)`);
  });
});
