import { chmodSync, existsSync, lstatSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isRoot } from '../test/fixtures.ts';
import { startScratchPostgres } from './scratch.ts';

describe('startScratchPostgres', () => {
  const saved = process.env.TMPDIR;
  let temporary: string | undefined;
  afterEach(() => {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
    if (temporary) rmSync(temporary, { recursive: true, force: true });
  });

  it('keeps the cluster in a directory of its own made with mkdtemp, and removes it on stop', async () => {
    temporary = mkdtempSync(join(tmpdir(), 'kit-scratch-'));
    // A temporary directory the postgres user can enter, as /tmp is (else, as root, the data moves).
    chmodSync(temporary, 0o755);
    process.env.TMPDIR = temporary;
    const db = await startScratchPostgres({ prefix: 'kit-x-pg-' });
    try {
      // mkdtemp's six random characters, not a name made up front that someone could take first.
      expect(readdirSync(temporary)).toEqual([expect.stringMatching(/^kit-x-pg-[A-Za-z0-9]{6}$/)]);
      expect(db.scratchDir.startsWith(`${temporary}/kit-x-pg-`)).toBe(true);
      const stats = lstatSync(db.scratchDir);
      expect(stats.uid).toBe(process.getuid?.());
      // As root the postgres user must enter it; otherwise it stays as mkdtemp made it.
      expect(stats.mode & 0o777).toBe(isRoot ? 0o755 : 0o700);
      expect(db.dataDir).toBe(join(db.scratchDir, 'data'));
      expect(existsSync(join(db.dataDir, 'PG_VERSION'))).toBe(true);
      expect(db.url).toMatch(/^postgres:\/\/postgres:[^@]+@127\.0\.0\.1:\d+\/postgres$/);
    } finally {
      await db.stop();
    }
    expect(readdirSync(temporary)).toEqual([]);
  });
});
