import type { TestDatabase } from '@kit/test-support/database';
import type { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { judge } from './connection-mode.ts';
import { createKitOrm, createMikroOrmStore } from './index.ts';
import type { PgConnection } from './pooled-connection.ts';
import { openTwoInstances, record, rotateChain, THROUGH } from './pooler-test-support.ts';

/**
 * How the kit's statements reach the server through a pooler in transaction mode: how each
 * connection is judged, named or unnamed statements, and the timeout local to each statement.
 */
describe(THROUGH, () => {
  let db: TestDatabase;
  let orms: MikroORM[] = [];

  beforeAll(async () => {
    ({ db, orms } = await openTwoInstances());
  });

  afterAll(async () => {
    for (const orm of orms) await orm.close();
    await db?.drop();
  });

  /** The knex pool's raw pg connection of `orm`, held for `run`. */
  async function onPoolConnection<T>(orm: MikroORM, run: (client: PgConnection) => Promise<T>): Promise<T> {
    const knexClient = orm.em.getConnection().getKnex().client as unknown as {
      acquireConnection(): Promise<PgConnection>;
      releaseConnection(client: PgConnection): Promise<unknown>;
    };
    const client = await knexClient.acquireConnection();
    try {
      return await run(client);
    } finally {
      await knexClient.releaseConnection(client);
    }
  }

  /**
   * What reaches pg's own `Client#query` while `run` runs: for each statement that updates a
   * session, whether it was named and whether it carried its own timeout (the `set_config` pipeline).
   */
  async function recordRotations(
    orm: MikroORM,
    run: () => Promise<void>,
  ): Promise<{ named: boolean; timed: boolean }[]> {
    const seen: { named: boolean; timed: boolean }[] = [];
    // The pg module knex drives (the tests' own `pg` import may be another copy).
    const Client = (orm.em.getConnection().getKnex().client as unknown as { driver: typeof pg }).driver
      .Client;
    const original = Client.prototype.query;
    Client.prototype.query = function (this: pg.Client, config: unknown, ...rest: unknown[]) {
      const c = config as { text?: unknown; name?: unknown; timeoutText?: unknown } | null;
      if (typeof c?.text === 'string' && c.text.startsWith('update kit_sessions')) {
        seen.push({ named: typeof c.name === 'string', timed: typeof c.timeoutText === 'string' });
      }
      return (original as (...args: unknown[]) => unknown).call(this, config, ...rest);
    } as typeof original;
    try {
      await run();
    } finally {
      Client.prototype.query = original;
    }
    return seen;
  }

  it(`judges each connection at connect: ${process.env.KIT_TEST_POOLER_URL ? 'through the pooler, unnamed statements timed one by one' : 'direct, named statements and the timeout on the session'}`, async () => {
    const timeoutMs = 700;
    const orm = await createKitOrm({ databaseUrl: db.url, poolSize: 1, timeoutMs });
    try {
      const store = createMikroOrmStore({ orm });
      const session = record(11, 'judged');
      await store.insert(session);
      const seen = await recordRotations(orm, async () => {
        await rotateChain(store, session, 3, 60);
      });
      expect(seen).toHaveLength(3);
      if (db.pooled) {
        expect(seen).toEqual(Array.from({ length: 3 }, () => ({ named: false, timed: true })));
      } else {
        expect(seen).toEqual(Array.from({ length: 3 }, () => ({ named: true, timed: false })));
        // The one connection of the pool holds the statement, prepared once, and the session timeout.
        await onPoolConnection(orm, async (client) => {
          const prepared = await client.query({
            text: `select name from pg_prepared_statements where statement like 'update kit_sessions set%'`,
            queryMode: 'simple',
          });
          expect(prepared.rows.map((row) => row.name)).toEqual([expect.stringMatching(/^kit_[0-9a-f]{24}$/)]);
          const timeout = await client.query({ text: 'show statement_timeout', queryMode: 'simple' });
          expect(timeout.rows[0]?.statement_timeout).toBe(`${timeoutMs}ms`);
        });
      }
    } finally {
      await orm.close();
    }
    await expect(
      createKitOrm({ databaseUrl: db.url, preparedStatements: 'yes' as unknown as boolean }),
    ).rejects.toThrow(/preparedStatements/);
  });

  it('leaves no session state behind in the pooler-safe way: the timeout is local to each statement', async () => {
    // Through the pooler the default judges the connection pooled; directly, `false` forces the
    // same way (the default would set the timeout on the session, which is then the point).
    const orm = await createKitOrm({
      databaseUrl: db.url,
      poolSize: 1,
      ...(db.pooled ? {} : { preparedStatements: false }),
    });
    const direct = new pg.Client({ connectionString: db.directUrl });
    await direct.connect();
    const serverDefault = (await direct.query('show statement_timeout')).rows[0]?.statement_timeout;
    await direct.end();
    expect(serverDefault).not.toBe('2s');
    try {
      await onPoolConnection(orm, async (client) => {
        // Several statements in one string without parameters cannot be pipelined: they go out as sent.
        await expect(client.query({ text: 'select 1 as a; select 2 as b' })).resolves.toBeDefined();
        let sameBackend = 0;
        for (let i = 0; i < 20; i++) {
          // A timed statement sees its timeout...
          const timed = await client.query({
            text: 'select pg_backend_pid() as pid, current_setting($1) as value',
            values: ['statement_timeout'],
          });
          expect(timed.rows[0]?.value).toBe('2s');
          // ...and an untouched one right after it, on the same client connection (and, through
          // the pooler, most often the same server connection), sees the server's default.
          const after = await client.query({
            text: `select pg_backend_pid() as pid, current_setting('statement_timeout') as value`,
            queryMode: 'simple',
          });
          expect(after.rows[0]?.value).toBe(serverDefault);
          if (after.rows[0]?.pid === timed.rows[0]?.pid) sameBackend++;
        }
        // The check means something only if it ran where the timed statement had run.
        expect(sameBackend).toBeGreaterThan(0);
      });
    } finally {
      await orm.close();
    }
  });

  // Last in this file: the fooled connections leave a session timeout on the pooler's server
  // connections, as such a pooler would.
  it.skipIf(!process.env.KIT_TEST_POOLER_URL)(
    'heals by itself when a pooler passes the backend pid through: named statements that fail make the ORM pooler-safe for good',
    async () => {
      const realJudge = judge.direct;
      // A pooler that passes the backend's process id through: every connection judged direct.
      judge.direct = () => true;
      const fooled: MikroORM[] = [];
      try {
        fooled.push(await createKitOrm({ databaseUrl: db.url, poolSize: 4 }));
        fooled.push(await createKitOrm({ databaseUrl: db.url, poolSize: 4 }));
        const stores = fooled.map((orm) => createMikroOrmStore({ orm }));
        const sessions = Array.from({ length: 12 }, (_, i) => record(i, `fooled-${i}`));
        for (const [i, session] of sessions.entries()) await stores[i % 2]!.insert(session);
        const seen = await recordRotations(fooled[0]!, async () => {
          const finals = await Promise.all(
            sessions.map((session, i) => rotateChain(stores[i % 2]!, session, 8, i * 8)),
          );
          for (const final of finals) expect(final.generation).toBe(8);
        });
        // It started named, met the pooler, and ended unnamed and timed one by one.
        expect(seen.some((s) => s.named)).toBe(true);
        expect(seen.at(-1)).toEqual({ named: false, timed: true });
        const after = await recordRotations(fooled[0]!, async () => {
          await Promise.all(sessions.map((session, i) => stores[i % 2]!.find(session.id)));
          const current = (await stores[0]!.find(sessions[0]!.id))!;
          await rotateChain(stores[0]!, current, 2, 200);
        });
        expect(after).toEqual([
          { named: false, timed: true },
          { named: false, timed: true },
        ]);
      } finally {
        judge.direct = realJudge;
        for (const orm of fooled) await orm.close();
      }
    },
  );
});
