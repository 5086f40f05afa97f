import { createTestDatabase } from '../../../../test/database.ts';
import { describeSessionStoreConformance } from '../testing/index.ts';
import { createKitOrm, createMikroOrmStore, migrate } from './index.ts';

describeSessionStoreConformance('MikroORM on PostgreSQL', async () => {
  const db = await createTestDatabase();
  const orm = await createKitOrm({ databaseUrl: db.url, poolSize: 30 });
  await migrate(orm);
  return {
    store: createMikroOrmStore({ orm }),
    async cleanup() {
      await orm.close();
      await db.drop();
    },
  };
});
