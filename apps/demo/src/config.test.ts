import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
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
    expect((await loadConfig({}, dir)).secret).toBe(first.secret);
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
