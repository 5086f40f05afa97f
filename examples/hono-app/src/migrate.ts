/**
 * `pnpm --filter @kit/example-hono-app migrate`: creates the kit's tables (and nothing else) in the
 * database of `DATABASE_URL`, or in the embedded PostgreSQL when it is unset. Safe to run again.
 */
import { createKitOrm, migrate } from '@kit/core/mikro-orm';
import { openDatabase } from './database.ts';

const database = await openDatabase();
try {
  const orm = await createKitOrm({ databaseUrl: database.url });
  try {
    const { applied } = await migrate(orm);
    console.log(applied.length > 0 ? `applied: ${applied.join(', ')}` : 'nothing to apply: up to date');
  } finally {
    await orm.close();
  }
} finally {
  await database.stop();
}
