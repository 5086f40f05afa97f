import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../../test/database.ts';

const BIN = fileURLToPath(new URL('../../bin/kit.js', import.meta.url));
const SECRET = 'cli-secret-0123456789-abcdefghijklmnopqrstuvwxyz';

function kit(args: string[], env: Record<string, string | undefined>) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, ...env } },
      (error, stdout, stderr) => {
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

describe('kit keys rotate', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
    expect((await kit(['migrate'], { DATABASE_URL: db.url })).code).toBe(0);
  }, 60_000);
  afterAll(async () => {
    await db.drop();
  });

  async function rows() {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      return (
        await client.query('select kid, created_at, activates_at from kit_signing_keys order by activates_at')
      ).rows;
    } finally {
      await client.end();
    }
  }

  it('stores the first key, then a next key published a lead time ahead', async () => {
    const first = await kit(['keys', 'rotate'], { DATABASE_URL: db.url, KIT_SECRET: SECRET });
    expect(first.code).toBe(0);
    const next = await kit(['keys', 'rotate', '--lead', '10m', '--alg', 'EdDSA'], {
      DATABASE_URL: db.url,
      KIT_SECRET: SECRET,
    });
    expect(next.code).toBe(0);
    const stored = await rows();
    expect(stored.map((r) => r.kid)).toEqual([first.stdout.trim(), next.stdout.trim()]);
    const lead = stored[1]!.activates_at.getTime() - stored[1]!.created_at.getTime();
    expect(lead).toBe(600_000);
    for (const output of [first, next]) expect(output.stderr).not.toContain(SECRET);
  }, 60_000);

  it('fails with a usage error without KIT_SECRET, and with ERR_KEY_INVALID under another secret', async () => {
    const missing = await kit(['keys', 'rotate'], { DATABASE_URL: db.url, KIT_SECRET: '' });
    expect(missing.code).toBe(2);
    const other = 'another-cli-secret-ZYXWVUTSRQPONMLKJIHGFEDCBA-987654';
    const wrong = await kit(['keys', 'rotate'], { DATABASE_URL: db.url, KIT_SECRET: other });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('ERR_KEY_INVALID');
    expect(wrong.stderr).not.toContain(other);
    expect(await rows()).toHaveLength(2);
  }, 60_000);
});
