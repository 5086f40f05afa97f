import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase, testServerIsCitus } from '../../../../test/database.ts';

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

describe('kit keys delete', () => {
  const db = migratedDatabase();
  const HOUR = 3_600_000;

  async function query<T extends Record<string, unknown>>(
    text: string,
    values: unknown[] = [],
  ): Promise<T[]> {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      return (await client.query(text, values)).rows as T[];
    } finally {
      await client.end();
    }
  }

  /** Three stored keys: `old` retired 2 h ago, `recent` retired 60 s ago, `current` signing. */
  async function threeKeys() {
    await query('delete from kit_signing_keys');
    const kids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const result = await kit(['keys', 'rotate'], { DATABASE_URL: db.url, KIT_SECRET: SECRET });
      expect(result.code).toBe(0);
      kids.push(result.stdout.trim());
    }
    const now = Date.now();
    const activations = [now - 3 * HOUR, now - 2 * HOUR, now - 60_000];
    for (const [i, kid] of kids.entries()) {
      await query('update kit_signing_keys set created_at = $2, activates_at = $2 where kid = $1', [
        kid,
        new Date(activations[i]!),
      ]);
    }
    const [old, recent, current] = kids as [string, string, string];
    return { old, recent, current };
  }

  const storedKids = async () =>
    (await query<{ kid: string }>('select kid from kit_signing_keys order by activates_at')).map(
      (r) => r.kid,
    );

  it('refuses the current key and a recently retired one, deletes an old retired one', async () => {
    const { old, recent, current } = await threeKeys();
    const env = { DATABASE_URL: db.url, KIT_SECRET: '' };

    const listed = await kit(['keys', 'list'], env);
    expect(listed.code).toBe(0);
    expect(
      listed.stdout
        .trim()
        .split('\n')
        .map((line) => line.split('\t').slice(0, 3)),
    ).toEqual([
      [old, 'ES256', 'deletable'],
      [recent, 'ES256', 'retired'],
      [current, 'ES256', 'signing'],
    ]);

    const signing = await kit(['keys', 'delete', `--kid=${current}`], env);
    expect(signing.code).toBe(1);
    expect(signing.stderr).toContain('ERR_KEY_IN_USE');
    expect(signing.stderr).toContain('is signing now');

    const retired = await kit(['keys', 'delete', `--kid=${recent}`], env);
    expect(retired.code).toBe(1);
    expect(retired.stderr).toContain('ERR_KEY_IN_USE');
    expect(retired.stderr).toMatch(/retired at .*It can be deleted from /);

    // Retired 2 h ago: too recent when access tokens live 3 h.
    const longTtl = await kit(['keys', 'delete', `--kid=${old}`, '--access-ttl', '3h'], env);
    expect(longTtl.code).toBe(1);
    expect(longTtl.stderr).toContain('ERR_KEY_IN_USE');
    expect(await storedKids()).toEqual([old, recent, current]);

    const deleted = await kit(['keys', 'delete', `--kid=${old}`], env);
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toBe(`${old}\n`);
    expect(deleted.stderr).toContain(`deleted key ${old}`);
    expect(await storedKids()).toEqual([recent, current]);
    // Only the kid is ever printed: no key material, no secret.
    for (const output of [listed, signing, retired, longTtl, deleted]) {
      expect(`${output.stdout}${output.stderr}`).not.toMatch(/"d"|encrypted|BEGIN/);
      expect(`${output.stdout}${output.stderr}`).not.toContain(SECRET);
    }
  }, 120_000);

  it('an unknown kid fails with ERR_KEY_NOT_FOUND; a missing kid or --force without --yes is a usage error', async () => {
    const env = { DATABASE_URL: db.url };
    // A kid may begin with '-' (base64url): the = form passes it as a value, never as an option.
    const unknown = await kit(['keys', 'delete', '--kid=-no-such-kid'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('ERR_KEY_NOT_FOUND');
    expect((await kit(['keys', 'delete'], env)).code).toBe(2);
    const { current } = await threeKeys();
    const unconfirmed = await kit(['keys', 'delete', `--kid=${current}`, '--force'], env);
    expect(unconfirmed.code).toBe(2);
    expect(await storedKids()).toContain(current);
  }, 120_000);
});

describe('kit prune', () => {
  const db = migratedDatabase();

  it('deletes nothing and fails with ERR_PURGE_IN_PROGRESS while another purge holds the lock', async () => {
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query(`select pg_try_advisory_xact_lock(hashtext('kit_sessions_purge'))`);
      const busy = await kit(['prune'], { DATABASE_URL: db.url });
      expect(busy.code).toBe(1);
      expect(busy.stderr).toContain('ERR_PURGE_IN_PROGRESS');
      await holder.query('rollback');
      const free = await kit(['prune'], { DATABASE_URL: db.url });
      expect(free.code).toBe(0);
      expect(free.stdout).toBe('0\n');
    } finally {
      await holder.end();
    }
  }, 60_000);
});

const onCitus = await testServerIsCitus();

describe('kit citus distribute', () => {
  const db = migratedDatabase();

  async function sql(text: string) {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      return (await client.query(text)).rows;
    } finally {
      await client.end();
    }
  }

  it.skipIf(onCitus)('on plain PostgreSQL says what to install, and changes nothing', async () => {
    const result = await kit(['citus', 'distribute'], { DATABASE_URL: db.url });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/no citus extension: run `create extension citus`.*\(ERR_STORE_FAILURE\)/);
    expect(result.stdout).toBe('');
  });

  it.runIf(onCitus)(
    'lays the tables out once, concurrently on request, and refuses a wrong layout',
    async () => {
      // The test database comes distributed: a second run changes nothing.
      const again = await kit(['citus', 'distribute'], { DATABASE_URL: db.url });
      expect(again).toMatchObject({ code: 0, stdout: '' });
      expect(again.stderr).toMatch(
        /nothing to distribute; already laid out: kit_sessions, kit_rate_limits, kit_signing_keys/,
      );

      // Back to local tables, then a live-table move, which needs logical decoding on the cluster.
      await sql(`select undistribute_table('kit_sessions'), undistribute_table('kit_rate_limits')`);
      const [{ wal_level }] = (await sql('show wal_level')) as [{ wal_level: string }];
      if (wal_level !== 'logical') {
        const refused = await kit(['citus', 'distribute', '--concurrently'], { DATABASE_URL: db.url });
        expect(refused.code).toBe(1);
        expect(refused.stderr).toMatch(/needs wal_level = logical/);
      }
      const concurrently = wal_level === 'logical' ? ['--concurrently'] : [];
      const moved = await kit(['citus', 'distribute', ...concurrently], { DATABASE_URL: db.url });
      expect(moved.stderr).toMatch(
        /^distributed: kit_sessions, kit_rate_limits; already laid out: kit_signing_keys/,
      );
      expect(moved.code).toBe(0);
      expect(moved.stdout.trim().split('\n')).toEqual(['kit_sessions', 'kit_rate_limits']);
      const layout = await sql(
        `select logicalrelid::text as t, partmethod as m, column_to_column_name(logicalrelid, partkey) as c
         from pg_dist_partition where logicalrelid::text like 'kit_%' order by 1`,
      );
      expect(layout).toEqual([
        { t: 'kit_rate_limits', m: 'h', c: 'key' },
        { t: 'kit_sessions', m: 'h', c: 'id' },
        { t: 'kit_signing_keys', m: 'n', c: null },
      ]);

      // A reference table would copy every session to every node: refused, with the way out.
      await sql(`select undistribute_table('kit_sessions')`);
      await sql(`select create_reference_table('kit_sessions')`);
      const wrong = await kit(['citus', 'distribute'], { DATABASE_URL: db.url });
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toMatch(
        /kit_sessions is already a reference table; the kit needs distributed by id: undistribute it first .*\(ERR_STORE_FAILURE\)/,
      );
    },
    120_000,
  );
});

describe('kit migrate --timeout', () => {
  // It holds the migrations' table open in an unmigrated database; on Citus the test databases come
  // migrated and distributed.
  it.skipIf(onCitus)(
    'bounds every statement by it, and refuses a bad value before connecting',
    async () => {
      const db = await createTestDatabase();
      const locker = new pg.Client({ connectionString: db.url });
      await locker.connect();
      const watcher = new pg.Client({ connectionString: db.url });
      await watcher.connect();
      const lockedOut = async () => {
        // The migration waits on the table lock held below. (Asked from outside the locker's
        // transaction, which would see one snapshot of the activity view throughout.)
        for (;;) {
          const { rows } = await watcher.query(
            `select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
          );
          if (rows.length > 0) return;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      };
      try {
        await locker.query('begin');
        await locker.query(
          'create table kit_migrations (name varchar(255) primary key, applied_at timestamptz)',
        );
        const blocked = await kit(['migrate', '--timeout', '1s'], { DATABASE_URL: db.url });
        expect(blocked.code).toBe(1);
        expect(blocked.stderr).toMatch(/ERR_STORE_UNAVAILABLE/);

        // Held 3 s after the migration starts waiting: longer than the default 2 s, within --timeout.
        const patient = kit(['migrate', '--timeout', '30'], { DATABASE_URL: db.url });
        await lockedOut();
        await new Promise((resolve) => setTimeout(resolve, 3000));
        await locker.query('rollback');
        expect((await patient).code).toBe(0);

        for (const bad of ['0', 'soon', '2d']) {
          const refused = await kit(['migrate', '--timeout', bad], { DATABASE_URL: db.url });
          expect(refused.code, bad).not.toBe(0);
          expect(refused.stderr, bad).toMatch(/--timeout/);
        }
      } finally {
        await locker.end();
        await watcher.end();
        await db.drop();
      }
    },
    60_000,
  );
});
