import { performance } from 'node:perf_hooks';
import type { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../../test/database.ts';
import type { SessionRecord, SessionStore } from '../store/session-store.ts';
import { judge } from './connection-mode.ts';
import {
  createKitOrm,
  createMikroOrmKeyStore,
  createMikroOrmRateLimitStore,
  createMikroOrmStore,
  migrate,
} from './index.ts';
import type { PgConnection } from './pooled-connection.ts';

/**
 * The kit behind a connection pooler in transaction mode, where consecutive statements of one
 * client may run on different server connections and a server connection serves many clients.
 * `.ci/steps/pgbouncer.sh` runs this file through a stock PgBouncer (`KIT_TEST_POOLER_URL`); without
 * a pooler it runs on the server directly, where the same promises hold.
 *
 * Through PgBouncer it failed before the statement timeout moved into each statement: the
 * `statement_timeout` startup parameter was refused ("unsupported startup parameter"), and named
 * prepared statements collided between clients ("prepared statement ... already exists").
 */
describe(`the kit through ${process.env.KIT_TEST_POOLER_URL ? 'a pooler in transaction mode' : 'a direct connection'}`, () => {
  let db: TestDatabase;
  let orms: MikroORM[] = [];
  const t0 = Date.UTC(2030, 0, 1);

  beforeAll(async () => {
    db = await createTestDatabase();
    orms = [
      await createKitOrm({ databaseUrl: db.url, poolSize: 8 }),
      await createKitOrm({ databaseUrl: db.url, poolSize: 8 }),
    ];
    // Two instances starting together migrate the same database.
    await Promise.all(orms.map((orm) => migrate(orm)));
  });

  afterAll(async () => {
    for (const orm of orms) await orm.close();
    await db?.drop();
  });

  function record(i: number, userId: string): SessionRecord {
    return {
      id: crypto.randomUUID(),
      userId,
      clientId: 'test',
      createdAt: new Date(t0),
      lastRefreshedAt: new Date(t0),
      idleExpiresAt: new Date(t0 + 86_400_000),
      absoluteExpiresAt: new Date(t0 + 2 * 86_400_000),
      revokedAt: null,
      revokedReason: null,
      userAgent: null,
      ip: null,
      data: {},
      generation: 0,
      secretHash: new Uint8Array(32).fill(i + 1),
      rotatedAt: null,
    };
  }

  async function rotateChain(store: SessionStore, session: SessionRecord, steps: number, salt: number) {
    let current = session;
    for (let step = 0; step < steps; step++) {
      const next = await store.rotate({
        id: current.id,
        generation: current.generation,
        secretHash: current.secretHash,
        nextSecretHash: new Uint8Array(32).fill((salt + step) % 256),
        now: new Date(t0 + 1000 + step),
        idleExpiresAt: new Date(t0 + 86_400_000),
      });
      expect(next, `rotation ${step} of ${session.userId}`).not.toBeNull();
      current = next!;
    }
    return current;
  }

  it('rotates concurrently from two instances, alone and grouped, every rotation exactly once', async () => {
    const stores = orms.map((orm) => createMikroOrmStore({ orm }));
    const sessions = Array.from({ length: 24 }, (_, i) => record(i, `pooled-${i}`));
    for (const [i, session] of sessions.entries()) await stores[i % 2]!.insert(session);
    const steps = 12;
    // 24 chains at once over two pools of 8: statements go alone and grouped, on both instances,
    // over whatever server connections the pooler hands out.
    const finals = await Promise.all(
      sessions.map((session, i) => rotateChain(stores[i % 2]!, session, steps, i * 16)),
    );
    for (const [i, final] of finals.entries()) {
      expect(final.generation).toBe(steps);
      // Read back through the other instance.
      const stored = await stores[(i + 1) % 2]!.find(final.id);
      expect(stored?.generation).toBe(steps);
      expect(Buffer.from(stored!.secretHash).equals(Buffer.from(final.secretHash))).toBe(true);
    }
  });

  it('counts rate-limit hits from two instances exactly once', async () => {
    const limits = orms.map((orm) => createMikroOrmRateLimitStore({ orm }));
    const hits = await Promise.all(
      Array.from({ length: 40 }, (_, i) => limits[i % 2]!.hit('pooled', { windowMs: 60_000, now: t0 + i })),
    );
    expect(hits.map((hit) => hit.count).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 40 }, (_, i) => i + 1),
    );
  });

  it('fails a statement stuck on a locked row with ERR_STORE_UNAVAILABLE after about timeoutMs, cancelled by the server', async () => {
    const timeoutMs = 600;
    const short = await createKitOrm({ databaseUrl: db.url, poolSize: 2, timeoutMs });
    const locker = new pg.Client({ connectionString: db.url });
    const observer = new pg.Client({ connectionString: db.directUrl });
    await locker.connect();
    await observer.connect();
    try {
      const store = createMikroOrmStore({ orm: short });
      const session = record(7, 'locked');
      await store.insert(session);
      await locker.query('begin');
      await locker.query('select 1 from kit_sessions where id = $1 for update', [session.id]);
      const started = performance.now();
      const error = await store
        .rotate({
          id: session.id,
          generation: 0,
          secretHash: session.secretHash,
          nextSecretHash: new Uint8Array(32).fill(99),
          now: new Date(t0 + 1000),
          idleExpiresAt: new Date(t0 + 86_400_000),
        })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      const elapsed = performance.now() - started;
      expect(error).toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
      // 57014: PostgreSQL cancelled the statement itself (not the client giving up on a silent
      // server), so no backend keeps waiting on the lock after the caller was told it failed.
      expect((error as { cause?: { code?: string } }).cause?.code).toBe('57014');
      expect(elapsed).toBeGreaterThanOrEqual(timeoutMs - 50);
      expect(elapsed).toBeLessThan(timeoutMs + 1500);
      const waiting = await observer.query(
        `select count(*)::int as n from pg_stat_activity
          where datname = $1 and wait_event_type = 'Lock' and query like 'update kit_sessions%'`,
        [db.name],
      );
      expect(waiting.rows[0].n).toBe(0);
      await locker.query('rollback');
      // The row is free again: the same rotation now succeeds.
      expect(
        await store.rotate({
          id: session.id,
          generation: 0,
          secretHash: session.secretHash,
          nextSecretHash: new Uint8Array(32).fill(99),
          now: new Date(t0 + 1000),
          idleExpiresAt: new Date(t0 + 86_400_000),
        }),
      ).toMatchObject({ generation: 1 });
    } finally {
      await locker.query('rollback').catch(() => undefined);
      await locker.end();
      await observer.end();
      await short.close();
    }
  });

  it('times out a key-store transaction waiting on the signing-key lock held elsewhere', async () => {
    const timeoutMs = 500;
    const short = await createKitOrm({ databaseUrl: db.url, poolSize: 2, timeoutMs });
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query(`select pg_advisory_xact_lock(hashtext('kit_signing_keys'))`);
      const started = performance.now();
      const error = await createMikroOrmKeyStore({ orm: short })
        .exclusive(async (tx) => tx.list())
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      const elapsed = performance.now() - started;
      expect(error).toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
      expect((error as { cause?: { code?: string } }).cause?.code).toBe('57014');
      expect(elapsed).toBeLessThan(timeoutMs + 1500);
      await holder.query('commit');
      expect(await createMikroOrmKeyStore({ orm: short }).exclusive(async (tx) => tx.list())).toEqual([]);
    } finally {
      await holder.query('rollback').catch(() => undefined);
      await holder.end();
      await short.close();
    }
  });

  it('sends statements without the timeout when statementTimeout is false, and checks the option', async () => {
    const plain = await createKitOrm({ databaseUrl: db.url, poolSize: 1, statementTimeout: false });
    const direct = new pg.Client({ connectionString: db.directUrl });
    await direct.connect();
    try {
      const serverDefault = (await direct.query('show statement_timeout')).rows[0].statement_timeout;
      const rows = (await plain.em
        .getConnection()
        .execute(`select current_setting('statement_timeout') as value`)) as { value: string }[];
      expect(rows[0]?.value).toBe(serverDefault);
    } finally {
      await direct.end();
      await plain.close();
    }
    await expect(
      createKitOrm({ databaseUrl: db.url, statementTimeout: 'yes' as unknown as boolean }),
    ).rejects.toThrow(/statementTimeout/);
  });

  // Named statements are for direct connections (and poolers that track them), not for this pooler.
  it.skipIf(Boolean(process.env.KIT_TEST_POOLER_URL))(
    'prepares the kit’s statements once per connection with preparedStatements, timed by the server through a startup parameter',
    async () => {
      const timeoutMs = 500;
      const prepared = await createKitOrm({
        databaseUrl: db.url,
        poolSize: 1,
        timeoutMs,
        preparedStatements: true,
      });
      const locker = new pg.Client({ connectionString: db.url });
      await locker.connect();
      try {
        const store = createMikroOrmStore({ orm: prepared });
        const session = record(9, 'prepared');
        await store.insert(session);
        const rotated = await rotateChain(store, session, 3, 40);
        const names = (await prepared.em
          .getConnection()
          .execute(
            `select name from pg_prepared_statements where statement like 'update kit_sessions set%'`,
          )) as {
          name: string;
        }[];
        expect(names).toHaveLength(1);
        expect(names[0]!.name).toMatch(/^kit_[0-9a-f]{24}$/);
        // A named statement stuck behind a row lock is cancelled by the server as well.
        await locker.query('begin');
        await locker.query('select 1 from kit_sessions where id = $1 for update', [session.id]);
        const error = await store
          .rotate({
            id: rotated.id,
            generation: rotated.generation,
            secretHash: rotated.secretHash,
            nextSecretHash: new Uint8Array(32).fill(1),
            now: new Date(t0 + 5000),
            idleExpiresAt: new Date(t0 + 86_400_000),
          })
          .then(
            () => undefined,
            (e: unknown) => e,
          );
        expect((error as { cause?: { code?: string } }).cause?.code).toBe('57014');
      } finally {
        await locker.query('rollback').catch(() => undefined);
        await locker.end();
        await prepared.close();
      }
      await expect(
        createKitOrm({ databaseUrl: db.url, preparedStatements: 1 as unknown as boolean }),
      ).rejects.toThrow(/preparedStatements/);
    },
  );

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
      if (typeof c?.text === 'string' && c.text.startsWith('update kit_sessions set')) {
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
