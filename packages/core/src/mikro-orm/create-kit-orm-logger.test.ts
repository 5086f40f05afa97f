import { expectKitError } from '@kit/test-support';
import { createTestDatabase, type TestDatabase } from '@kit/test-support/database';
import type { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createKitOrm } from './create-kit-orm.ts';

/**
 * createKitOrm's `logger`: what knex and MikroORM would print goes to the host's logger as a fixed
 * name, and without a logger nothing is printed. A pooled connection whose server process is
 * terminated is what knex reports during an outage (`Connection Error: ...`).
 */

type LogMethod = (fields: Record<string, unknown>, message: string) => void;
const newLogger = () => ({ info: vi.fn<LogMethod>(), warn: vi.fn<LogMethod>(), error: vi.fn<LogMethod>() });
type Logger = ReturnType<typeof newLogger>;

let db: TestDatabase;
const orms: MikroORM[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
});
afterEach(async () => {
  vi.restoreAllMocks();
  for (const orm of orms.splice(0)) await orm.close();
});
afterAll(async () => {
  await db?.drop();
});

function spyOnConsole() {
  return (['log', 'info', 'warn', 'error', 'debug'] as const).map((level) =>
    vi.spyOn(console, level).mockImplementation(() => undefined),
  );
}

async function open(logger?: Logger): Promise<MikroORM> {
  // The server itself (not a pooler): the test terminates the server process of its connection.
  const orm = await createKitOrm({ databaseUrl: db.directUrl, poolSize: 1, ...(logger ? { logger } : {}) });
  orms.push(orm);
  return orm;
}

/** Terminates the server process behind the ORM's one pooled connection, then uses the ORM again. */
async function breakItsConnection(orm: MikroORM): Promise<void> {
  const connection = orm.em.getConnection();
  const [{ pid }] = (await connection.execute('select pg_backend_pid() as pid')) as [{ pid: number }];
  const admin = new pg.Client({ connectionString: db.directUrl });
  await admin.connect();
  try {
    await admin.query('select pg_terminate_backend($1)', [pid]);
  } finally {
    await admin.end();
  }
  // Wait until the idle pooled connection has seen its socket close (knex marks it then).
  const pool = (
    connection.getKnex().client as { pool: { free: { resource: { __knex__disposed?: unknown } }[] } }
  ).pool;
  await vi.waitFor(() => expect(pool.free[0]?.resource.__knex__disposed).toBeDefined(), { timeout: 5000 });
  // knex finds the pooled connection broken, says so, and opens another.
  const [{ ok }] = (await connection.execute('select 1 as ok')) as [{ ok: number }];
  expect(ok).toBe(1);
}

describe('createKitOrm logger', () => {
  it("routes knex's connection error to the logger as a code, and prints nothing", async () => {
    const print = spyOnConsole();
    const logger = newLogger();
    await breakItsConnection(await open(logger));
    expect(logger.warn.mock.calls).toEqual([
      [{ source: 'knex', code: 'connection_error' }, 'kit: database client warning'],
    ]);
    expect(logger.error).not.toHaveBeenCalled();
    for (const spy of print) expect(spy).not.toHaveBeenCalled();
  });

  it('prints nothing without a logger', async () => {
    const print = spyOnConsole();
    await breakItsConnection(await open());
    for (const spy of print) expect(spy).not.toHaveBeenCalled();
  });

  it("routes MikroORM's warnings by namespace, never a message, query or parameter", async () => {
    const print = spyOnConsole();
    const logger = newLogger();
    const ormLogger = (await open(logger)).config.getLogger();
    ormLogger.warn('discovery', 'secret-in-a-message');
    ormLogger.error('query', 'failed: insert ... values ($1) [secret-parameter]');
    ormLogger.log('deprecated', 'secret deprecation text', { label: 'D0001' });
    ormLogger.log('info', 'secret info');
    ormLogger.logQuery({ query: 'select $1', params: ['secret-parameter'], level: 'info' });
    expect(ormLogger.isEnabled('query')).toBe(false);
    expect(logger.warn.mock.calls).toEqual([
      [{ source: 'mikro-orm', code: 'discovery' }, 'kit: ORM warning'],
      [{ source: 'mikro-orm', code: 'deprecated', label: 'D0001' }, 'kit: ORM warning'],
    ]);
    expect(logger.error.mock.calls).toEqual([[{ source: 'mikro-orm', code: 'query' }, 'kit: ORM error']]);
    expect(logger.info).not.toHaveBeenCalled();
    expect(JSON.stringify([logger.warn.mock.calls, logger.error.mock.calls])).not.toContain('secret');
    // Without a logger, not even a deprecation is printed.
    (await open()).config.getLogger().log('deprecated', 'a deprecation', { label: 'D0001' });
    for (const spy of print) expect(spy).not.toHaveBeenCalled();
  });

  it('refuses a logger without info, warn and error', async () => {
    await expectKitError(
      createKitOrm({ databaseUrl: db.directUrl, logger: console.log as never }),
      'ERR_INVALID_OPTIONS',
    );
  });
});
