import { createTestDatabase, testServerIsCitus } from '@kit/test-support/database';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kit, migratedDatabase } from './kit-test-support.ts';

const onCitus = await testServerIsCitus();

describe('kit citus distribute', () => {
  const db = migratedDatabase({ beforeAll, afterAll });

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
        /nothing to distribute; already laid out: kit_sessions, kit_rate_limits, kit_dpop_replays, kit_signing_keys/,
      );

      // Back to local tables, then a live-table move, which needs logical decoding on the cluster.
      await sql(
        `select undistribute_table('kit_sessions'), undistribute_table('kit_rate_limits'), undistribute_table('kit_dpop_replays')`,
      );
      const [{ wal_level }] = (await sql('show wal_level')) as [{ wal_level: string }];
      if (wal_level !== 'logical') {
        const refused = await kit(['citus', 'distribute', '--concurrently'], { DATABASE_URL: db.url });
        expect(refused.code).toBe(1);
        expect(refused.stderr).toMatch(/needs wal_level = logical/);
      }
      const concurrently = wal_level === 'logical' ? ['--concurrently'] : [];
      const moved = await kit(['citus', 'distribute', ...concurrently], { DATABASE_URL: db.url });
      expect(moved.stderr).toMatch(
        /^distributed: kit_sessions, kit_rate_limits, kit_dpop_replays; already laid out: kit_signing_keys/,
      );
      expect(moved.code).toBe(0);
      expect(moved.stdout.trim().split('\n')).toEqual([
        'kit_sessions',
        'kit_rate_limits',
        'kit_dpop_replays',
      ]);
      const layout = await sql(
        `select logicalrelid::text as t, partmethod as m, column_to_column_name(logicalrelid, partkey) as c
         from pg_dist_partition where logicalrelid::text like 'kit_%' order by 1`,
      );
      expect(layout).toEqual([
        { t: 'kit_dpop_replays', m: 'h', c: 'key' },
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
