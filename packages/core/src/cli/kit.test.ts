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

/**
 * A fresh database for one `describe`, migrated by `kit migrate` itself and dropped afterwards.
 * Read its `url` inside tests and hooks, once `beforeAll` has run.
 */
function migratedDatabase(): { readonly url: string } {
  let db: TestDatabase | undefined;
  beforeAll(async () => {
    db = await createTestDatabase();
    expect((await kit(['migrate'], { DATABASE_URL: db.url })).code).toBe(0);
  }, 60_000);
  afterAll(async () => {
    await db?.drop();
  });
  return {
    get url() {
      if (!db) throw new Error('the database is made in beforeAll');
      return db.url;
    },
  };
}

describe('kit keys rotate', () => {
  const db = migratedDatabase();

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

describe('kit sessions revoke', () => {
  const db = migratedDatabase();

  async function open(userIds: string[]) {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      for (const userId of userIds) {
        await client.query(
          `insert into kit_sessions (id, user_id, client_id, created_at, last_refreshed_at, idle_expires_at,
             absolute_expires_at, secret_hash)
           values (gen_random_uuid(), $1, 'cli', now() - interval '1 minute', now(), now() + interval '1 day',
             now() + interval '2 days', decode(repeat('ab', 32), 'hex'))`,
          [userId],
        );
      }
    } finally {
      await client.end();
    }
  }

  async function revokedByUser() {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ user_id: string; revoked: string; reason: string | null }>(
        `select user_id, count(*) filter (where revoked_at is not null) as revoked, max(revoked_reason) as reason
         from kit_sessions group by user_id order by user_id`,
      );
      return Object.fromEntries(rows.map((r) => [r.user_id, `${r.revoked} ${r.reason ?? '-'}`]));
    } finally {
      await client.end();
    }
  }

  it('revokes every session of one user, and only that user', async () => {
    await open(['alice', 'alice', 'bob']);
    const result = await kit(['sessions', 'revoke', '--user', 'alice', '--reason', 'compromised'], {
      DATABASE_URL: db.url,
    });
    expect(result).toMatchObject({ code: 0, stdout: '2\n' });
    expect(await revokedByUser()).toEqual({ alice: '2 compromised', bob: '0 -' });
  });

  it('refuses --all without --yes, bad reasons and bad user ids, changing nothing', async () => {
    for (const args of [
      ['--all'],
      ['--user', 'bob', '--reason', 'Not Allowed'],
      ['--user', 'b\u0001ob'],
      ['--user', 'bob', '--all', '--yes'],
      [],
    ]) {
      const result = await kit(['sessions', 'revoke', ...args], { DATABASE_URL: db.url });
      expect(result.code, args.join(' ')).toBe(2);
    }
    expect(await revokedByUser()).toEqual({ alice: '2 compromised', bob: '0 -' });
  });

  it('revokes every session of every user with --all --yes', async () => {
    await open(['carol', 'dave']);
    const result = await kit(['sessions', 'revoke', '--all', '--yes'], { DATABASE_URL: db.url });
    expect(result).toMatchObject({ code: 0, stdout: '3\n' });
    expect(await revokedByUser()).toEqual({
      alice: '2 compromised',
      bob: '1 admin_revoked',
      carol: '1 admin_revoked',
      dave: '1 admin_revoked',
    });
  });
});
