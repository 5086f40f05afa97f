/**
 * A floor of the memory bench: Node with the kit's ORM connected to PostgreSQL and nothing else
 * (`createKitOrm`, one query so a connection is open, no kit, no HTTP server). Built to JavaScript
 * and run by Node alone (memory.ts). Environment: `BENCH_MEMORY_DATABASE_URL`. Ready with `{}`; it
 * answers `stop` (`@kit/test-support/child-process`).
 */
import { createKitOrm } from '@kit/core/mikro-orm';
import { answerParent } from '@kit/test-support/child-process';

const databaseUrl = process.env.BENCH_MEMORY_DATABASE_URL;
if (!databaseUrl) throw new Error('memory/orm-floor.ts is started by bench/src/memory/measure.ts.');

const orm = await createKitOrm({ databaseUrl });
await orm.em.getConnection().execute('select 1');

answerParent({
  handlers: {},
  stop: () => orm.close(),
});
