import type { MikroORM } from '@mikro-orm/postgresql';
import { toStoreError } from './errors.ts';
import { kitMigrations } from './migrations/index.ts';

/**
 * Applies the kit's pending migrations to the database of `orm`, and nothing else: the kit's own
 * tables (`kit_*`) and its tracking table `kit_migrations`. It never diffs or updates the host's
 * schema. Safe to call from every instance at start-up: a PostgreSQL advisory lock makes
 * concurrent callers wait for each other, and all pending migrations apply in one transaction.
 *
 * The CLI runs it as `kit migrate`.
 *
 * @returns the names of the migrations applied by this call (empty when up to date).
 * @example
 * ```ts
 * import { createKitOrm, migrate } from '@kit/core/mikro-orm';
 *
 * const orm = await createKitOrm({ databaseUrl: process.env.DATABASE_URL! });
 * const { applied } = await migrate(orm);
 * ```
 */
export async function migrate(orm: MikroORM): Promise<{ applied: string[] }> {
  const knex = orm.em.getConnection().getKnex();
  try {
    return await knex.transaction(async (trx) => {
      // Serialise concurrent migrators (several instances starting at once) on one database.
      await trx.raw(`select pg_advisory_xact_lock(hashtext('kit_migrations'))`);
      await trx.raw(
        'create table if not exists kit_migrations (name varchar(255) primary key, applied_at timestamptz not null default now())',
      );
      const result = (await trx.raw('select name from kit_migrations')) as { rows: { name: string }[] };
      const done = new Set(result.rows.map((row) => row.name));
      const applied: string[] = [];
      for (const migration of kitMigrations) {
        if (done.has(migration.name)) continue;
        for (const statement of migration.up()) await trx.raw(statement);
        await trx.raw('insert into kit_migrations (name) values (?)', [migration.name]);
        applied.push(migration.name);
      }
      return { applied };
    });
  } catch (error) {
    throw toStoreError(error, 'migrate');
  }
}

/**
 * Names of the kit's migrations not yet applied to the database of `orm`.
 *
 * @example
 * ```ts
 * if ((await pendingMigrations(orm)).length > 0) throw new Error('run `kit migrate` first');
 * ```
 */
export async function pendingMigrations(orm: MikroORM): Promise<string[]> {
  const knex = orm.em.getConnection().getKnex();
  try {
    const exists = (await knex.raw(`select to_regclass('kit_migrations') is not null as present`)) as {
      rows: { present: boolean }[];
    };
    if (!exists.rows[0]?.present) return kitMigrations.map((m) => m.name);
    const result = (await knex.raw('select name from kit_migrations')) as { rows: { name: string }[] };
    const done = new Set(result.rows.map((row) => row.name));
    return kitMigrations.filter((m) => !done.has(m.name)).map((m) => m.name);
  } catch (error) {
    throw toStoreError(error, 'pendingMigrations');
  }
}
