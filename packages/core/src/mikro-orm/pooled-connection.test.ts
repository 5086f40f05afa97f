import { createTestDatabase, type TestDatabase } from '@kit/test-support/database';
import { type OutageProxy, proxyDatabase } from '@kit/test-support/tcp-proxy';
import type { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KitError } from '../errors.ts';
import { createKitOrm } from './create-kit-orm.ts';
import { leaseConnection, type PgConnection, withPooledConnection } from './pooled-connection.ts';
import { lockPurge } from './purge-lock.ts';
import { runStatement } from './run-statement.ts';

async function onServer<T>(url: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/**
 * A statement the network swallows (a pooler queueing it for a server connection, a server gone
 * silent) fails with pg's client-side read timeout, but pg leaves it active on its connection. Put
 * back in the pool, that connection would deliver it later: a rotation answered 503 could commit.
 */
describe('a statement that hits the client-side read timeout', () => {
  let db: TestDatabase;
  let proxy: OutageProxy;
  let orm: MikroORM;

  beforeAll(async () => {
    db = await createTestDatabase();
    await onServer(db.directUrl, (c) => c.query('create table swallowed (id int not null)'));
    const through = await proxyDatabase(db.url);
    proxy = through.proxy;
    // One connection, so a reused one would be this very connection. query_timeout = 800 ms.
    orm = await createKitOrm({ databaseUrl: through.url, poolSize: 1, timeoutMs: 300 });
  });
  afterEach(async () => {
    await proxy.restore();
  });
  afterAll(async () => {
    await orm?.close();
    await proxy?.close();
    await db?.drop();
  });

  // stall: the bytes wait in the pooler (the proxy), which drops them when the client leaves.
  // partition: they wait in the network (the proxy's socket buffer, delivered when it heals); only
  // a TCP reset from the client discards them, a plain close (FIN) would let them through first.
  it.each(['stall', 'partition'] as const)(
    '%s: closes its connection instead of reusing it, so the statement never runs later',
    async (mode) => {
      const seen: PgConnection[] = [];
      const use = (statement: string) =>
        withPooledConnection(orm, 'test', async (connection) => {
          seen.push(connection);
          return connection.query({ text: statement, values: [] });
        });
      await use('select 1');

      await proxy.cut(mode);
      const started = Date.now();
      const failed = await runStatement(orm, 'insertSwallowed', {
        text: 'insert into swallowed (id) values ($1)',
        values: [1],
      }).catch((error: unknown) => error);
      expect(failed).toBeInstanceOf(KitError);
      expect((failed as KitError).code).toBe('ERR_STORE_UNAVAILABLE');
      expect(((failed as KitError).cause as Error).name).toBe('QueryReadTimeout');
      expect(Date.now() - started).toBeLessThan(5_000);

      // The network passes traffic again: whatever the proxy held for a client still there goes on.
      await proxy.restore();
      await expect(use('select 2 as n')).resolves.toMatchObject({ rows: [{ n: 2 }] });
      // And the swallowed insert never reached the server, not even late.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const rows = await onServer(db.directUrl, (c) => c.query('select count(*)::int as n from swallowed'));
      expect(rows.rows[0].n).toBe(0);

      // A fresh connection, not the one whose statement was swallowed.
      expect(seen).toHaveLength(2);
      expect(seen[1]).not.toBe(seen[0]);
    },
    30_000,
  );

  it('the purge lock, on a connection outside the pool, is released within a second on a silent network', async () => {
    const lock = await lockPurge(orm, { idleTimeoutMs: 60_000 });
    expect(lock).not.toBeNull();
    // The pool's only connection stays free for the batches meanwhile.
    await expect(runStatement(orm, 'test', { text: 'select 1 as n', values: [] })).resolves.toMatchObject({
      rows: [{ n: 1 }],
    });
    await proxy.cut('partition');
    // A graceful close waits for the server's side of it, which a partition never delivers.
    const started = Date.now();
    await lock!.release();
    expect(Date.now() - started).toBeLessThan(3_000);
    await proxy.restore();
    // The server saw the connection go and ended its transaction: the lock is free.
    const next = await lockPurge(orm, { idleTimeoutMs: 60_000 });
    expect(next).not.toBeNull();
    await next!.release();
  }, 30_000);

  // Through a pooler the server connection outlives the client's, by design.
  it.skipIf(Boolean(process.env.KIT_TEST_POOLER_URL))(
    'a connection opened outside the pool is closed at release',
    async () => {
      const lease = await leaseConnection(orm, 'test', { dedicated: true });
      const pid = (await lease.connection.query({ text: 'select pg_backend_pid() as pid', values: [] }))
        .rows[0]!.pid;
      await lease.release();
      await expect(
        onServer(
          db.directUrl,
          async (c) => (await c.query('select 1 from pg_stat_activity where pid = $1', [pid])).rowCount,
        ),
      ).resolves.toBe(0);
    },
  );
});
