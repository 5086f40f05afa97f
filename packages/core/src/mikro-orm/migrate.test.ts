import { createTestDatabase, type TestDatabase } from '@kit/test-support/database';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKitOrm, kitMigrations, migrate, pendingMigrations } from './index.ts';

describe('migrations', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('apply once under concurrent callers and never touch the host’s tables', async () => {
    const host = new pg.Client({ connectionString: db.url });
    await host.connect();
    await host.query('create table users (id serial primary key, name text)');
    await host.query(`insert into users (name) values ('alice')`);

    const orms = await Promise.all([1, 2, 3].map(() => createKitOrm({ databaseUrl: db.url })));
    try {
      expect(await pendingMigrations(orms[0]!)).toEqual(kitMigrations.map((m) => m.name));
      const results = await Promise.all(orms.map((orm) => migrate(orm)));
      const applied = results.flatMap((r) => r.applied);
      expect(applied).toEqual(kitMigrations.map((m) => m.name));
      expect(await pendingMigrations(orms[0]!)).toEqual([]);
      expect((await migrate(orms[1]!)).applied).toEqual([]);
    } finally {
      await Promise.all(orms.map((orm) => orm.close()));
    }
    const users = await host.query('select name from users');
    expect(users.rows).toEqual([{ name: 'alice' }]);
    const tables = await host.query(
      `select table_name from information_schema.tables where table_schema = 'public' order by table_name`,
    );
    // The host's table, and otherwise only the kit's own `kit_*` tables.
    const names: string[] = tables.rows.map((r) => r.table_name);
    expect(names).toEqual(
      expect.arrayContaining(['kit_migrations', 'kit_rate_limits', 'kit_sessions', 'users']),
    );
    expect(names.filter((name) => name !== 'users').every((name) => name.startsWith('kit_'))).toBe(true);
    await host.end();
  });

  it('reports an unreachable database as ERR_STORE_UNAVAILABLE', async () => {
    const orm = await createKitOrm({ databaseUrl: 'postgres://postgres@127.0.0.1:1/none', timeoutMs: 500 });
    try {
      await expect(migrate(orm)).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
    } finally {
      await orm.close();
    }
  });
});
