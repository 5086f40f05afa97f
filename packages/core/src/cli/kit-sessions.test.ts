import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kit, migratedDatabase } from './kit-test-support.ts';

describe('kit sessions revoke', () => {
  const db = migratedDatabase({ beforeAll, afterAll });

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

describe('kit prune', () => {
  const db = migratedDatabase({ beforeAll, afterAll });

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
