import { chmodSync, existsSync, lstatSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { TestProject } from 'vitest/node';
import setup from './global-setup.ts';

/**
 * The repository's test setup (global-setup.ts) starts the embedded PostgreSQL in the temporary
 * directory, which every user shares: it must make a directory of its own there, not take a name
 * another user could have planted first, and remove it when the run ends.
 */
describe('the tests’ embedded PostgreSQL (global-setup.ts)', () => {
  const saved = { TMPDIR: process.env.TMPDIR, DATABASE_URL: process.env.DATABASE_URL };
  let temporary: string | undefined;
  afterEach(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    if (temporary) rmSync(temporary, { recursive: true, force: true });
  });

  it('keeps the cluster inside a directory made with mkdtemp, and removes it at the end', async () => {
    temporary = mkdtempSync(join(tmpdir(), 'kit-global-setup-'));
    // A temporary directory the postgres user can enter, as /tmp is (else, as root, the data moves).
    chmodSync(temporary, 0o755);
    process.env.TMPDIR = temporary;
    delete process.env.DATABASE_URL;
    const provided: Record<string, unknown> = {};
    const project = { provide: (key: string, value: unknown) => (provided[key] = value) };
    const teardown = await setup(project as unknown as TestProject);
    try {
      const entries = readdirSync(temporary);
      expect(entries).toHaveLength(1);
      // mkdtemp's six random characters, not a name made up front that someone could take first.
      expect(entries[0]).toMatch(/^kit-test-pg-[A-Za-z0-9]{6}$/);
      const scratch = join(temporary, entries[0] as string);
      const stats = lstatSync(scratch);
      expect(stats.isDirectory()).toBe(true);
      expect(stats.uid).toBe(process.getuid?.());
      // As root the postgres user must enter it; otherwise it stays as mkdtemp made it.
      expect(stats.mode & 0o777).toBe(process.getuid?.() === 0 ? 0o755 : 0o700);
      expect(existsSync(join(scratch, 'data', 'PG_VERSION'))).toBe(true);
      expect(provided.adminDatabaseUrl).toMatch(/^postgres:\/\/postgres:[^@]+@127\.0\.0\.1:\d+\/postgres$/);
    } finally {
      await teardown();
    }
    expect(readdirSync(temporary)).toEqual([]);
  });
});
